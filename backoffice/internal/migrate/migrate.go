// Package migrate reads a store's versioned schema: numbered SQL files, applied in order at start. Each
// store applies them in its own way (locks, transactions); the numbering rule is written here once.
package migrate

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migration is one schema file: NNNN_name.sql holds version NNNN.
type Migration struct {
	Version int
	Name    string // the file's name without .sql, e.g. "0002_aggregates"
	SQL     string
}

// Load returns the migrations in dir of fsys (every *.sql there), sorted by version. Versions must run
// 1, 2, 3, … without gaps or repeats; store names the store in errors ("sqlite: migration …").
func Load(fsys fs.FS, dir, store string) ([]Migration, error) {
	files, err := fs.Glob(fsys, path.Join(dir, "*.sql"))
	if err != nil {
		return nil, err
	}
	var ms []Migration
	for _, f := range files {
		base := strings.TrimSuffix(path.Base(f), ".sql")
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("%s: migration %s: name must start with a positive number", store, f)
		}
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: v, Name: base, SQL: string(b)})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })
	for i := range ms {
		if ms[i].Version != i+1 {
			return nil, fmt.Errorf("%s: migration %s: want number %d", store, ms[i].Name, i+1)
		}
	}
	return ms, nil
}
