package config

import (
	"os"
	"testing"
)

// FuzzParse checks that no input makes the config reader panic, and that a
// config it accepts validates again.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"testdata/good.yaml", "testdata/bad.yaml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("services: [{name: a, logs: [{path: x}]}]\nslos: [{name: s, service: a, objective: 99, window: 28d, sli: {type: latency, threshold: 1s}}]"))
	f.Add([]byte("{}"))
	f.Add([]byte("- - -"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b, "fuzz.yaml")
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted config fails Validate: %v", err)
		}
	})
}
