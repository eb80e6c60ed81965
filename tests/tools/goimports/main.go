// Command goimports prints the imports of Go files as Go's own parser reads them.
//
// It reads file paths, one per line, on stdin and writes one JSON object mapping each
// path to its package name and import paths. Thread's agreement test pairs this with `go list` package
// membership to get file-level ground truth.
package main

import (
	"bufio"
	"encoding/json"
	"go/parser"
	"go/token"
	"os"
	"strconv"
)

func main() {
	type fileImports struct {
		Package string   `json:"package"`
		Imports []string `json:"imports"`
	}
	files := map[string]fileImports{}
	fileSet := token.NewFileSet()
	scanner := bufio.NewScanner(os.Stdin)
	for scanner.Scan() {
		path := scanner.Text()
		file, err := parser.ParseFile(fileSet, path, nil, parser.ImportsOnly)
		if err != nil {
			continue
		}
		paths := []string{}
		for _, spec := range file.Imports {
			if unquoted, err := strconv.Unquote(spec.Path.Value); err == nil {
				paths = append(paths, unquoted)
			}
		}
		files[path] = fileImports{Package: file.Name.Name, Imports: paths}
	}
	if err := json.NewEncoder(os.Stdout).Encode(files); err != nil {
		os.Exit(1)
	}
}
