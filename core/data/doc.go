// Package data reads the MNIST digits and serves them in seeded mini-batches.
//
// Conventions:
//
//   - Images are stored as bytes, row-major, one image after another: pixel
//     (r, c) of image i is Pix[i*Rows*Cols + r*Cols + c]. Labels are bytes 0..9,
//     one per image.
//   - Wherever images become float32 (Set.Fill, Batcher.Next), a pixel is its
//     byte divided by 255, so values lie in [0, 1]; a batch of n images is an
//     (n, Rows*Cols) row-major matrix.
//   - The caller allocates every output buffer; Fill and Next write into it and
//     allocate nothing. Wrong buffer lengths are programmer errors and panic
//     with a "data: " message. Anything read from bytes or files (the idx format,
//     gzip) returns an error prefixed "data: " that names what was being read.
//   - Sets are read-only after they are made; Subset shares memory with its
//     parent. A Batcher is not safe for concurrent use.
//
// The idx format (LeCun et al., http://yann.lecun.com/exdb/mnist/) is a
// big-endian magic number 0x00000803 (images) or 0x00000801 (labels), then
// big-endian uint32 sizes (count, and for images rows and columns), then the
// raw unsigned bytes. Files may also be gzip-compressed; decoding detects this.
//
// The package has no platform code and runs unchanged under GOOS=js GOARCH=wasm.
package data
