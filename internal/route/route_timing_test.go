package route

import (
	"regexp"
	"strconv"
	"testing"
)

var benchPaths = []struct {
	name string
	path string
}{
	{"static", "/api/v1/users/settings"},
	{"ids", "/api/users/12345/orders/9f8e7d6c-1b2a-4c3d-8e9f-0a1b2c3d4e5f"},
	{"token", "/session/eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9/refresh"},
	{"query", "/search/results?q=slo&page=2"},
	{"utf8", "/wiki/Caf\xc3\xa9_de_Flore/\xff"},
	{"long", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t/u/v/w/x/y/z/0123456789/abcdefghijklmnopqrstuvwxyz/" +
		"abcdefghijklmnopqrstuvwxyz/abcdefghijklmnopqrstuvwxyz/abcdefghijklmnopqrstuvwxyz/" +
		"abcdefghijklmnopqrstuvwxyz/abcdefghijklmnopqrstuvwxyz/abcdefghijklmnopqrstuvwxyz"},
}

func BenchmarkTemplate(b *testing.B) {
	rules := make([]Rule, 10)
	for i := range rules {
		rules[i] = Rule{Match: regexp.MustCompile(`^/never/` + strconv.Itoa(i) + `/(\d+)$`), Template: "/never/$1"}
	}
	for _, tc := range []struct {
		name string
		t    *Templater
	}{
		{"auto", NewTemplater(nil)},
		{"10rules-nomatch", NewTemplater(rules)},
	} {
		for _, p := range benchPaths {
			b.Run(tc.name+"/"+p.name, func(b *testing.B) {
				path := []byte(p.path)
				dst := make([]byte, 0, Spare)
				b.SetBytes(int64(len(path)))
				b.ReportAllocs()
				for b.Loop() {
					dst = tc.t.Template(dst[:0], path)
				}
			})
		}
	}
	b.Run("rule-match", func(b *testing.B) {
		t := NewTemplater([]Rule{{Match: regexp.MustCompile(`^/shop/([^/]+)/cart$`), Template: "/shop/$1/cart"}})
		path := []byte("/shop/acme/cart")
		dst := make([]byte, 0, Spare)
		b.ReportAllocs()
		for b.Loop() {
			dst = t.Template(dst[:0], path)
		}
	})
}

func BenchmarkRegistryID(b *testing.B) {
	r := NewRegistry(1000, nil)
	tmpls := make([][]byte, 500)
	for i := range tmpls {
		tmpls[i] = []byte("/api/route" + strconv.Itoa(i) + "/:id")
		r.ID(tmpls[i])
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			r.ID(tmpls[i%len(tmpls)])
			i++
		}
	})
}
