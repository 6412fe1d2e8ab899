package safetensors

import (
	"encoding/binary"
	"strings"
	"testing"
)

// rawFile returns a file with the given header text, its length written
// honestly, followed by data.
func rawFile(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

// zeros returns n zero bytes.
func zeros(n int) []byte { return make([]byte, n) }

// malformedFiles are files Decode must refuse, with a fragment of the error
// each must give.
var malformedFiles = []struct {
	name string
	file []byte
	want string
}{
	{"empty", nil, "0 bytes, too short"},
	{"truncated length", []byte{8, 0, 0, 0, 0, 0, 0}, "7 bytes, too short"},
	{"header length beyond file", append(binary.LittleEndian.AppendUint64(nil, 100), "{}"...), "header length 100 runs past the end of the 10-byte file"},
	{"header length 2^64-1", append(binary.LittleEndian.AppendUint64(nil, 1<<64-1), "{}"...), "runs past the end"},
	{"header not UTF-8", rawFile("{\"\xff\":{}}", nil), "not valid UTF-8"},
	{"header not an object", rawFile("[]", nil), "does not start with '{'"},
	{"header with leading space", rawFile(" {}", nil), "does not start with '{'"},
	{"empty header", rawFile("", nil), "does not start with '{'"},
	{"bad JSON", rawFile(`{"a":`, nil), "not valid JSON"},
	{"unterminated object", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}`, zeros(4)), "not valid JSON"},
	{"two JSON values", rawFile(`{} {}`, nil), "not valid JSON"},
	{"garbage after JSON", rawFile(`{}x`, nil), "not valid JSON"},
	{"entry not an object", rawFile(`{"a":5}`, nil), `tensor "a": entry 5 is not a JSON object`},
	{"entry null", rawFile(`{"a":null}`, nil), `tensor "a": entry null is not a JSON object`},
	{"unknown dtype BF16", rawFile(`{"a":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}`, zeros(2)), `tensor "a": unsupported dtype "BF16"`},
	{"unknown dtype I32", rawFile(`{"w":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}`, zeros(4)), `unsupported dtype "I32"`},
	{"lower-case dtype", rawFile(`{"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}`, zeros(4)), `unsupported dtype "f32"`},
	{"dtype missing", rawFile(`{"a":{"shape":[1],"data_offsets":[0,4]}}`, zeros(4)), `tensor "a": no dtype`},
	{"dtype not a string", rawFile(`{"a":{"dtype":32,"shape":[1],"data_offsets":[0,4]}}`, zeros(4)), "dtype 32 is not a string"},
	{"shape missing", rawFile(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, zeros(4)), `tensor "a": no shape`},
	{"shape null", rawFile(`{"a":{"dtype":"F32","shape":null,"data_offsets":[0,4]}}`, zeros(4)), "shape null: not an array"},
	{"shape not an array", rawFile(`{"a":{"dtype":"F32","shape":4,"data_offsets":[0,4]}}`, zeros(4)), "shape 4: not an array"},
	{"negative dimension", rawFile(`{"a":{"dtype":"F32","shape":[-1,-4],"data_offsets":[0,16]}}`, zeros(16)), "-1 is negative"},
	{"fractional dimension", rawFile(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, zeros(4)), "1.5 is not a whole number"},
	{"exponent dimension", rawFile(`{"a":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}`, zeros(4)), "1e0 is not a whole number"},
	{"string dimension", rawFile(`{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}`, zeros(4)), "shape [\"1\"]: not an array of whole numbers"},
	{"huge dimension", rawFile(`{"a":{"dtype":"F32","shape":[0,99999999999999999999],"data_offsets":[0,0]}}`, nil), "out of range"},
	{"dimension above MaxInt", rawFile(`{"a":{"dtype":"F32","shape":[0,18446744073709551615],"data_offsets":[0,0]}}`, nil), "dimension 1 is too large"},
	{"shape product overflows", rawFile(`{"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,4]}}`, zeros(4)), "has more than 2^64 elements"},
	{"nested array dimension", rawFile(`{"a":{"dtype":"F32","shape":[[1]],"data_offsets":[0,4]}}`, zeros(4)), "not an array of whole numbers"},
	{"string holding a comma", rawFile(`{"a":{"dtype":"F32","shape":["1,2"],"data_offsets":[0,8]}}`, zeros(8)), "not an array of whole numbers"},
	{"boolean dimension", rawFile(`{"a":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}`, zeros(4)), "not an array of whole numbers"},
	{"duplicate field", rawFile(`{"a":{"dtype":"F32","shape":[1],"shape":[1],"data_offsets":[0,4]}}`, zeros(4)), `tensor "a": field "shape" appears twice`},
	{"duplicate metadata key", rawFile(`{"__metadata__":{"step":"1","step":"9"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, zeros(4)), `has the key "step" twice`},
	{"trailing comma", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},}`, zeros(4)), "not valid JSON"},
	{"byte count overflows", rawFile(`{"a":{"dtype":"F32","shape":[4611686018427387904,2],"data_offsets":[0,4]}}`, zeros(4)), "needs more than 2^64 bytes"},
	{"offsets missing", rawFile(`{"a":{"dtype":"F32","shape":[1]}}`, zeros(4)), `tensor "a": no data_offsets`},
	{"three offsets", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, zeros(8)), "not an array [begin, end]"},
	{"one offset", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4]}}`, zeros(4)), "not an array [begin, end]"},
	{"string offset", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,"4"]}}`, zeros(4)), "not an array of whole numbers"},
	{"offsets not an array", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":"0-4"}}`, zeros(4)), `data_offsets "0-4": not an array`},
	{"negative offset", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}`, zeros(4)), "-4 is negative"},
	{"end before begin", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}`, zeros(4)), "end before they begin"},
	{"offsets out of bounds", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, zeros(4)), "run past the end of the 4 bytes"},
	{"shape/offset mismatch F32", rawFile(`{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}`, zeros(20)), `tensor "a": shape [2 3] of F32 needs 24 bytes but data_offsets [0 20] hold 20`},
	{"shape/offset mismatch, too many bytes", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}}`, zeros(12)), "shape [2] of F32 needs 8 bytes but data_offsets [0 12] hold 12"},
	{"F16 sized as F32", rawFile(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,8]}}`, zeros(8)), "needs 4 bytes"},
	{"zero-size shape with bytes", rawFile(`{"a":{"dtype":"F32","shape":[0,5],"data_offsets":[0,4]}}`, zeros(4)), "needs 0 bytes"},
	{"overlap", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, zeros(12)), `tensor "b": data_offsets [4 12] overlap those of tensor "a"`},
	{"same range twice", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, zeros(4)), "overlap"},
	{"gap", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, zeros(12)), `tensor "b": data_offsets [8 12] leave bytes 4 to 8`},
	{"not starting at 0", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, zeros(8)), `tensor "a": data_offsets [4 8] leave bytes 0 to 4`},
	{"trailing bytes", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, zeros(7)), "3 trailing bytes"},
	{"data but no tensors", rawFile(`{}`, zeros(1)), "1 trailing bytes"},
	{"duplicate tensor", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, zeros(8)), `two entries named "a"`},
	{"duplicate metadata", rawFile(`{"__metadata__":{},"__metadata__":{}}`, nil), `two entries named "__metadata__"`},
	{"metadata value not a string", rawFile(`{"__metadata__":{"step":1}}`, nil), "__metadata__ must be an object of string values"},
	{"metadata not an object", rawFile(`{"__metadata__":"x"}`, nil), "__metadata__ must be an object"},
}

func TestDecodeMalformed(t *testing.T) {
	for _, tc := range malformedFiles {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Decode(tc.file)
			if err == nil {
				t.Fatalf("Decode accepted it: %+v", f)
			}
			if !strings.HasPrefix(err.Error(), "safetensors: ") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestDecodeAccepts covers files that are unusual but valid.
func TestDecodeAccepts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		file  []byte
		names []string // in offset order
		dtype DType
		meta  int // number of metadata entries
	}{
		{"no __metadata__", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, zeros(4)), []string{"a"}, F32, 0},
		{"null __metadata__", rawFile(`{"__metadata__":null,"a":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}`, zeros(2)), []string{"a"}, F16, 0},
		{"__metadata__ last", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"x":"y","z":""}}`, zeros(4)), []string{"a"}, F32, 2},
		{"header order differs from offset order", rawFile(`{"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, zeros(8)), []string{"a", "b"}, F32, 0},
		{"mixed dtypes", rawFile(`{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"s":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, zeros(8)), []string{"h", "s"}, "", 0},
		{"scalar", rawFile(`{"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, zeros(4)), []string{"s"}, F32, 0},
		{"zero-size tensors", rawFile(`{"e":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]},"f":{"dtype":"F16","shape":[0],"data_offsets":[0,0]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, zeros(4)), []string{"e", "f", "a"}, "", 0},
		{"zero dimension beside a huge one", rawFile(`{"e":{"dtype":"F32","shape":[9223372036854775807,0],"data_offsets":[0,0]}}`, nil), []string{"e"}, F32, 0},
		{"padding: spaces, tabs, newlines", rawFile("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}\n\t  ", zeros(4)), []string{"a"}, F32, 0},
		{"extra fields in an entry", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"note":[1,2]}}`, zeros(4)), []string{"a"}, F32, 0},
		{"empty", rawFile(`{}`, nil), nil, "", 0},
		{"escaped dtype", rawFile(`{"a":{"dtype":"F\u0033\u0032","shape":[1],"data_offsets":[0,4]}}`, zeros(4)), []string{"a"}, F32, 0},
		{"brackets and quotes inside an unknown field", rawFile(`{"a":{"x":{"y":[1,{"z":"}]\"{["}],"w":null},"dtype":"F16","shape":[ 2 , 1 ],"data_offsets":[ 0 , 4 ]},"__metadata__":{"k":"]}"}}`, zeros(4)), []string{"a"}, F16, 1},
		{"escaped names", rawFile(`{"a\"b\u00e9":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, zeros(4)), []string{"a\"bé"}, F32, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Decode(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, x := range f.Tensors {
				names = append(names, x.Name)
			}
			if strings.Join(names, ",") != strings.Join(tc.names, ",") {
				t.Errorf("tensors %q, want %q", names, tc.names)
			}
			if f.DType != tc.dtype {
				t.Errorf("DType %q, want %q", f.DType, tc.dtype)
			}
			if f.Meta == nil || len(f.Meta) != tc.meta {
				t.Errorf("Meta %v, want %d entries (and not nil)", f.Meta, tc.meta)
			}
		})
	}
}
