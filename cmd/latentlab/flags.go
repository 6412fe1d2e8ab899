package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"latentlab/core/fileio"
	"latentlab/core/model"
)

// maxTextFile is the most a config file, a results file or a shipped
// index may hold: 16 MiB, far more than any of them needs.
const maxTextFile = 16 << 20

// errUsage means the flags were wrong; the flag package has said how.
// errHelp means -h or -help asked for the usage, which has been printed.
var (
	errUsage = errors.New("usage")
	errHelp  = errors.New("help")
)

// configFlags registers one flag per config field, named after its JSON key
// with dashes ("--lr-recon" for "lr_recon"), so the CLI takes exactly the
// config the page does, plus --preset and --config for the base the flags
// override.
func configFlags(fs *flag.FlagSet) *configSet {
	cs := &configSet{
		fs:         fs,
		preset:     fs.String("preset", "default", "start from a preset config: "+strings.Join(presetNames(), ", ")),
		configFile: fs.String("config", "", "start from a config `file` (JSON, as in a weights file's metadata)"),
		set:        map[string]string{},
		defaults:   jsonFields(model.Defaults().JSON()),
	}
	keys := make([]string, 0, len(cs.defaults))
	for k := range cs.defaults {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		usage := optionUsage(key, show(cs.defaults[key]))
		fs.Func(flagName(key), usage, func(v string) error {
			cs.set[key] = v
			return nil
		})
	}
	return cs
}

// optionUsage is a config flag's help, from model.Options: what it does,
// its allowed values, its default.
func optionUsage(key, def string) string {
	o, ok := model.OptionOf(key)
	if !ok {
		return fmt.Sprintf("config %s (default %s)", key, def)
	}
	u := o.Doc
	switch {
	case key == "model":
		u += " One of: " + strings.Join(model.Kinds(), ", ") + "."
	case o.Choices != nil:
		var vs []string
		for _, c := range o.Choices {
			vs = append(vs, c.Value)
		}
		u += " One of: " + strings.Join(vs, ", ") + "."
	case o.List:
		u += " Comma-separated widths, e.g. " + o.Example + "."
	case o.Text && o.Example != "":
		u += " E.g. " + o.Example + "."
	case o.Min != nil && o.Integer:
		u += fmt.Sprintf(" An integer, at least %v.", *o.Min)
	case o.Min != nil:
		u += fmt.Sprintf(" At least %v.", *o.Min)
	}
	if o.Kinds != nil {
		u += " Read only by " + o.ReadBy() + "."
	}
	if def == "" {
		def = `""`
	}
	return fmt.Sprintf("%s (config %s; default %s)", u, key, def)
}

// configSet is the config flags of a command, once parsed.
type configSet struct {
	fs                 *flag.FlagSet
	preset, configFile *string
	set                map[string]string // config key → the flag's value, for the flags given
	defaults           map[string]any
}

func flagName(key string) string { return strings.ReplaceAll(key, "_", "-") }

// explicit reports whether the flag called name was given.
func (cs *configSet) explicit(name string) bool {
	given := false
	cs.fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// Config returns the preset, or the --config file, overridden by the flags
// given. With --model and neither --preset nor --config, the base is the
// preset named after that kind where there is one ("--model vae" starts
// from the vae preset, whose Gaussian posterior the VAE needs).
func (cs *configSet) Config() (model.Config, error) {
	presets := model.Presets()
	name := *cs.preset
	if kind, ok := cs.set["model"]; ok && !cs.explicit("preset") && !cs.explicit("config") {
		if _, ok := presets[kind]; ok {
			name = kind
		}
	}
	base, ok := presets[name]
	if !ok {
		return model.Config{}, fmt.Errorf("unknown preset %q (want %s)", *cs.preset, strings.Join(presetNames(), ", "))
	}
	if *cs.configFile != "" {
		b, err := fileio.Read(*cs.configFile, maxTextFile)
		if err != nil {
			return model.Config{}, err
		}
		if base, err = model.ParseConfig(b); err != nil {
			return model.Config{}, fmt.Errorf("%s: %w", *cs.configFile, err)
		}
	}
	return cs.Over(base)
}

// Over returns base overridden by the flags given.
func (cs *configSet) Over(base model.Config) (model.Config, error) {
	fields := jsonFields(base.JSON())
	for key, v := range cs.set {
		val, err := parseLike(cs.defaults[key], v)
		if err != nil {
			return model.Config{}, fmt.Errorf("--%s: %v", flagName(key), err)
		}
		fields[key] = val
	}
	b, err := json.Marshal(fields)
	if err != nil {
		return model.Config{}, err
	}
	return model.ParseConfig(b)
}

// Retune returns the config a model read from file continues with: its
// own, with the flags given applied where model.Retune allows (each change
// stated on stderr) and refused, naming the flags, where it does not.
// --preset and --config are refused: the file has the config.
func (cs *configSet) Retune(file string, stderr io.Writer) func(model.Config) (model.Config, error) {
	return func(c model.Config) (model.Config, error) {
		for _, f := range []string{"preset", "config"} {
			if cs.explicit(f) {
				return model.Config{}, fmt.Errorf("--%s: the model in %s has its config; give only the flags to change (%s)", f, file, strings.Join(model.Tunable, ", "))
			}
		}
		asked, err := cs.Over(c)
		if err != nil {
			return model.Config{}, err
		}
		changed, err := model.Retune(c, asked)
		var re *model.RetuneError
		if errors.As(err, &re) {
			// Only flags can make asked differ from the file's config.
			flags := make([]string, len(re.Fields))
			for i, key := range re.Fields {
				flags[i] = "--" + flagName(key)
			}
			return model.Config{}, fmt.Errorf("%s conflict with %s: %w", strings.Join(flags, ", "), file, err)
		}
		if err != nil {
			return model.Config{}, err
		}
		was, now := jsonFields(c.JSON()), jsonFields(asked.JSON())
		for _, key := range changed {
			fmt.Fprintf(stderr, "latentlab: --%s: %s %v → %v (the rest of the config is %s's)\n", flagName(key), key, was[key], now[key], file)
		}
		return asked, nil
	}
}

// parseLike parses a flag value as the JSON type of example: a boolean, a
// number, a string, or a comma-separated list of integers ("" for an empty
// list).
func parseLike(example any, v string) (any, error) {
	switch example.(type) {
	case bool:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("%q is not true or false", v)
		}
		return b, nil
	case json.Number:
		// Kept as written, so that a seed above 2^53 is not rounded.
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", v)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%q is not a finite number", v)
		}
		return json.Number(strings.TrimSpace(v)), nil
	case []any:
		list := []int{}
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			n, err := strconv.Atoi(s)
			if err != nil {
				return nil, fmt.Errorf("%q is not a comma-separated list of widths", v)
			}
			list = append(list, n)
		}
		return list, nil
	default:
		return v, nil
	}
}

// jsonFields decodes a config's JSON into its fields, numbers exact
// (json.Number), for the flags to override.
func jsonFields(config string) map[string]any {
	var fields map[string]any
	dec := json.NewDecoder(strings.NewReader(config))
	dec.UseNumber()
	if err := dec.Decode(&fields); err != nil {
		panic(err)
	}
	return fields
}

func show(v any) string {
	if list, ok := v.([]any); ok {
		s := make([]string, len(list))
		for i, x := range list {
			s[i] = fmt.Sprint(x)
		}
		return strings.Join(s, ",")
	}
	return fmt.Sprint(v)
}

func presetNames() []string {
	var names []string
	for k := range model.Presets() {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

func newFlagSet(name, summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	out := &sawWriter{w: stderr}
	fs.SetOutput(out)
	fs.Usage = func() {
		if out.saw {
			// The flag package has just said what is wrong, in one line:
			// point to the help rather than burying it under every flag.
			cmd, _, _ := strings.Cut(name, " ")
			fmt.Fprintf(stderr, "run 'latentlab %s -h' for its flags\n", cmd)
			return
		}
		fmt.Fprintf(stderr, "usage: latentlab %s\n\n%s\n\nflags:\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}

// sawWriter notes whether anything was written through it: the flag
// package writes its error before it calls Usage, and nothing before the
// Usage that -h asks for.
type sawWriter struct {
	w   io.Writer
	saw bool
}

func (s *sawWriter) Write(p []byte) (int, error) {
	s.saw = true
	return s.w.Write(p)
}

// parse parses args, turning flag errors (already printed) into errUsage,
// and a request for help into errHelp.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return errHelp
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}
