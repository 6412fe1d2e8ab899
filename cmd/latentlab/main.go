// Command latentlab trains and evaluates Latent Lab models natively, with
// the same Go core and the same arithmetic as the page.
//
//	latentlab train [flags]          train; progress on stderr, JSON lines on stdout
//	latentlab eval --weights FILE    print the test-set reconstruction loss as JSON
//	latentlab bench [--json]         print samples/s and kernel GFLOP/s
//	latentlab reproduce ROW          a row of the paper's table, in resumable chunks
//	latentlab trace --out FILE       a few steps recorded, for the PyTorch twin to replay
//
// Run `latentlab train -h` for the flags.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage:
  latentlab train [flags]        train a model (latentlab train -h for flags)
  latentlab eval --weights FILE  evaluate a .safetensors file on the test set
  latentlab bench [flags]        measure training speed (samples/s, GFLOP/s)
  latentlab reproduce ROW        run a row of the AAE paper's table in resumable chunks
  latentlab trace --out FILE     record a few steps (batches, draws, losses, weights) for the PyTorch twin
`

// run is the whole command, so tests can call it; it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "train":
		err = trainCmd(args[1:], stdout, stderr)
	case "eval":
		err = evalCmd(args[1:], stdout, stderr)
	case "bench":
		err = benchCmd(args[1:], stdout, stderr)
	case "reproduce":
		err = reproduceCmd(args[1:], stdout, stderr)
	case "trace":
		err = traceCmd(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "latentlab: unknown command %q\n%s", args[0], usage)
		return 2
	}
	if err == errHelp {
		return 0
	}
	if err == errUsage {
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "latentlab: %v\n", err)
		var ec exitCode
		if errors.As(err, &ec) {
			return ec.code
		}
		return 1
	}
	return 0
}
