package model_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"latentlab/core/model"
)

// TestOptionsCoverConfig: the option table has one entry per config field,
// labelled and documented, and each choice field's choices are exactly
// what Validate accepts.
func TestOptionsCoverConfig(t *testing.T) {
	var fields map[string]any
	if err := json.Unmarshal([]byte(model.Defaults().JSON()), &fields); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, o := range model.Options() {
		if _, ok := fields[o.Key]; !ok || seen[o.Key] {
			t.Errorf("option %q: no such config field, or twice", o.Key)
		}
		seen[o.Key] = true
		if o.Label == "" || !strings.HasSuffix(o.Doc, ".") {
			t.Errorf("option %q: label %q, doc %q", o.Key, o.Label, o.Doc)
		}
	}
	for k := range fields {
		if !seen[k] {
			t.Errorf("config field %q has no option", k)
		}
	}
	for _, key := range []string{"activation", "prior", "posterior", "gan_loss"} {
		o, _ := model.OptionOf(key)
		for _, ch := range append(o.Choices, model.Choice{Value: "nonsense"}) {
			fields := map[string]any{key: ch.Value}
			if key == "prior" && (ch.Value == "mixture" || ch.Value == "swissroll") {
				fields["latent"] = 2
			}
			if key == "posterior" && ch.Value == "universal" {
				fields["noise"] = 4
			}
			b, _ := json.Marshal(fields)
			_, err := model.ParseConfig(b)
			if (err == nil) != (ch.Value != "nonsense") {
				t.Errorf("%s %q: %v", key, ch.Value, err)
			}
		}
	}
}

// TestDocsOptions: docs/models.md's table of config fields has a row for
// every option, with the default the code has.
func TestDocsOptions(t *testing.T) {
	b, err := os.ReadFile("../../docs/models.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	head := strings.Index(readme, "| key | default | meaning |")
	if head < 0 {
		t.Fatal("docs/models.md has no table of config fields")
	}
	readme = readme[head:]
	var defaults map[string]json.RawMessage
	json.Unmarshal([]byte(model.Defaults().JSON()), &defaults)
	for _, o := range model.Options() {
		i := strings.Index(readme, "| `"+o.Key+"`")
		if i < 0 {
			i = strings.Index(readme, ", `"+o.Key+"` |")
		}
		if i < 0 {
			t.Errorf("docs/models.md has no row for %s", o.Key)
			continue
		}
		row := readme[i:]
		row = row[:strings.Index(row, "\n")]
		def := strings.Trim(string(defaults[o.Key]), `"`)
		if strings.HasPrefix(def, "[") {
			def = strings.ReplaceAll(def, ",", ", ")
		}
		if !strings.Contains(row, def) {
			t.Errorf("docs/models.md row of %s does not show its default %s: %s", o.Key, def, row)
		}
	}
}
