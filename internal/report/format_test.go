package report

import (
	"bytes"
	"testing"
)

func TestFormatSLI(t *testing.T) {
	for _, c := range []struct {
		sli, obj float64
		want     string
	}{
		{0.99812, 99.9, "99.81%"}, {0.999, 99.9, "99.90%"}, {0.99899999, 99.9, "99.89%"}, {1, 99.9, "100.00%"},
		{0.99995, 99.99, "99.995%"}, {0.9712, 95, "97.12%"}, {0.99939, 99.9, "99.93%"}, {0.9994, 99.9, "99.94%"},
	} {
		if got := FormatSLI(c.sli, c.obj); got != c.want {
			t.Errorf("FormatSLI(%v, %v) = %q, want %q", c.sli, c.obj, got, c.want)
		}
	}
}

func TestWriteJSONRoundsFloatNoise(t *testing.T) {
	var b bytes.Buffer
	v := map[string]any{
		"error_budget": 1 - 0.999, "budget": 9.999999999998899, "count": 78319, "big": 1e15 + 0.5,
		"tiny": -1.00000000000001e-12, "small": 0.0007648183556405354, "s": `a "1.0000000001" b\"`, "list": []float64{0.5, 2.0000000000001}, "sli": 0.9993998757,
	}
	if err := WriteJSON(&b, v, false); err != nil {
		t.Fatal(err)
	}
	want := `{"big":1e+15,"budget":10,"count":78319,"error_budget":0.001,"list":[0.5,2],"s":"a \"1.0000000001\" b\\\"","sli":0.9993998757,"small":0.000764818355641,"tiny":-1e-12}` + "\n"
	if got := b.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
