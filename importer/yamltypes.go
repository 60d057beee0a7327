package importer

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sluice-dev/sluice/importer/didyoumean"
)

// yamlProblem is a value of config.yaml that does not fit its key, found
// by walking the document beside the config's Go types: yaml.v3 says
// "cannot unmarshal !!seq into time.Duration" with a line but no key, and
// "field x not found in type importer.SourceConfig" in Go's words.
type yamlProblem struct {
	line   int
	field  string // the key path, such as jobs[0].source.settle
	reason string
}

// yamlTypeProblems walks doc (a parsed config.yaml) against t, the type it
// decodes into, and returns its mistakes in document order: unknown keys
// (with the key probably meant) and values of the wrong kind, each in
// plain words ("want a duration such as 30s, got [1, 2]").
func yamlTypeProblems(doc *yaml.Node, t reflect.Type) []yamlProblem {
	var w yamlWalker
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		w.walk(doc.Content[0], t, "")
	}
	return w.problems
}

type yamlWalker struct{ problems []yamlProblem }

var (
	durationType    = reflect.TypeFor[time.Duration]()
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
)

func (w *yamlWalker) add(n *yaml.Node, field, format string, args ...any) {
	w.problems = append(w.problems, yamlProblem{line: n.Line, field: field, reason: fmt.Sprintf(format, args...)})
}

func (w *yamlWalker) walk(n *yaml.Node, t reflect.Type, path string) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // the zero value, which validation judges
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			w.add(n, path, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		return
	}
	switch {
	case t == durationType:
		w.scalar(n, t, path, "a duration such as 30s")
	case t.Kind() == reflect.Struct:
		w.mapping(n, t, path)
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			w.add(n, path, "want a list such as [a, b], got %s", yamlShow(n))
			return
		}
		for i, c := range n.Content {
			w.walk(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	case t.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			w.add(n, path, "want keys and values (key: value), got %s", yamlShow(n))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			w.walk(n.Content[i+1], t.Elem(), joinKey(path, n.Content[i].Value))
		}
	case t.Kind() == reflect.String:
		w.scalar(n, t, path, "text")
	case t.Kind() == reflect.Bool:
		w.scalar(n, t, path, "true or false")
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		w.scalar(n, t, path, "a whole number such as 100")
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		w.scalar(n, t, path, "a number such as 1.5")
	}
}

// scalar checks a value that must be one scalar decoding into t.
func (w *yamlWalker) scalar(n *yaml.Node, t reflect.Type, path, want string) {
	if n.Kind == yaml.ScalarNode && n.Decode(reflect.New(t).Interface()) == nil {
		return
	}
	w.add(n, path, "want %s, got %s", want, yamlShow(n))
}

// mapping checks a value that must be keys and values, the keys t's.
func (w *yamlWalker) mapping(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind != yaml.MappingNode {
		w.add(n, path, "want keys and values (key: value), got %s", yamlShow(n))
		return
	}
	fields := yamlFields(t)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		f, ok := fields[k.Value]
		if !ok {
			names := make([]string, 0, len(fields))
			for name := range fields {
				names = append(names, name)
			}
			hint := ""
			if c := didyoumean.Closest(k.Value, names); c != "" {
				hint = fmt.Sprintf("; did you mean %q?", c)
			}
			w.add(k, path, "unknown key %q%s", k.Value, hint)
			continue
		}
		w.walk(v, f.Type, joinKey(path, k.Value))
	}
}

// yamlFields are the keys a struct takes, as yaml.v3 reads its tags:
// the tag's name or the lowercased field name, ",inline" structs merged.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	fields := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if strings.Contains(","+opts+",", ",inline,") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			for k, v := range yamlFields(ft) {
				fields[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f
	}
	return fields
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// yamlShow is a value as the config wrote it, on one line and short: text
// quoted, numbers and words as they are, lists and mappings in flow
// style ([1, 2], {a: 1}).
func yamlShow(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		if n.Tag == "!!str" {
			return strconv.Quote(n.Value)
		}
		return n.Value
	}
	flow := *n
	setFlow(&flow)
	out, err := yaml.Marshal(&flow)
	s := strings.TrimSpace(string(out))
	if err != nil || strings.Contains(s, "\n") {
		s = map[yaml.Kind]string{yaml.SequenceNode: "a list", yaml.MappingNode: "keys and values"}[n.Kind]
	}
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return s
}

// setFlow puts a copy of n and everything under it in flow style.
func setFlow(n *yaml.Node) {
	n.Style = yaml.FlowStyle
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	kids := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		cp := *c
		setFlow(&cp)
		kids[i] = &cp
	}
	n.Content = kids
}
