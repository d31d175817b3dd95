package migrate

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoad(t *testing.T) {
	fsys := fstest.MapFS{
		"m/0002_more.sql":  {Data: []byte("B")},
		"m/0001_first.sql": {Data: []byte("A")},
		"m/README":         {Data: []byte("not a migration")},
	}
	ms, err := Load(fsys, "m", "x")
	if err != nil || len(ms) != 2 || ms[0] != (Migration{1, "0001_first", "A"}) || ms[1] != (Migration{2, "0002_more", "B"}) {
		t.Fatalf("Load: %+v, %v", ms, err)
	}
	for name, files := range map[string]fstest.MapFS{
		"want number 2":              {"m/0001_a.sql": {}, "m/0003_c.sql": {}},
		"must start with a positive": {"m/first.sql": {}},
		"want number 2 ":             {"m/0001_a.sql": {}, "m/0001_b.sql": {}},
	} {
		if _, err := Load(files, "m", "x"); err == nil || !strings.HasPrefix(err.Error(), "x: migration") ||
			!strings.Contains(err.Error(), strings.TrimSpace(name)) {
			t.Errorf("%v: %v; want an error saying %q", files, err, name)
		}
	}
}
