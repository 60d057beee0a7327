package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"

	"github.com/sluice-dev/sluice/importer"
	"github.com/sluice-dev/sluice/importer/infer"
)

const initExamples = `  sluice init sample-data/socks-2026-09.csv               # print a config.yaml for it
  sluice init --job zips --key zip_code data/zips.csv.gz   # name the job, check the key
  sluice init --write data/stock.csv                       # add the job to config.yaml
`

func runInit(ctx context.Context, e *env, args []string) error {
	fs, g := newFlagSet(e, "init", "init [--job NAME] [--table NAME] [--key COL,...] [--write] FILE", initExamples)
	job := fs.String("job", "", "the job's name (default: from the file's name)")
	table := fs.String("table", "", "the table's name (default: the job's)")
	key := fs.String("key", "", "the key's columns, comma-separated: checked instead of searched for")
	write := fs.Bool("write", false, "append the job to --config (or write it whole when it does not exist) instead of printing")
	maxRows := fs.Int64("max-rows", importer.DefaultInferRows, "read at most this many rows of FILE")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return &usageError{msg: "sluice init takes one FILE: the CSV file to infer a job from", hint: "sluice init data/export.csv"}
	}
	file := files[0]
	if *job == "" {
		*job = jobName(file)
	}
	if *table == "" {
		*table = strings.NewReplacer("-", "_", ".", "_").Replace(*job)
	}
	var keyCols []string
	if *key != "" {
		keyCols = strings.Split(*key, ",")
	}
	res, err := importer.InferFile(ctx, file, importer.InferOptions{Key: keyCols, MaxRows: *maxRows})
	var bad *importer.InferError
	if errors.As(err, &bad) {
		fmt.Fprintf(e.stderr, "sluice: warning: %v\n", err)
	} else if err != nil {
		return err
	}
	res.Path = sourcePath(file, g.config)
	ro := infer.RenderOptions{Job: *job, Table: *table}
	warnings(e, res)
	if !*write {
		return infer.Render(e.stdout, res, ro)
	}
	return writeJob(e, g.config, res, ro)
}

// warnings says on stderr what in the config needs a person: no key, a
// day/month order the data leaves open, a header that looks like data.
func warnings(e *env, res *infer.Result) {
	for _, w := range res.Warnings() {
		fmt.Fprintf(e.stderr, "sluice: warning: %s\n", w)
	}
}

// datedRE is the date or number that ends a monthly dump's name.
var datedRE = regexp.MustCompile(`([ _-][0-9]+)+$`)

// jobName is the file's name without its extensions and the date that
// tells one month's dump from the next (socks-2026-09.csv.gz → socks),
// as an identifier; a name that is only a date keeps it (2026-11.csv →
// c_2026_11).
func jobName(path string) string {
	base := filepath.Base(path)
	if i := strings.IndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	if trimmed := datedRE.ReplaceAllString(base, ""); strings.ContainsFunc(trimmed, unicode.IsLetter) {
		base = trimmed
	}
	return infer.ColumnName(base)
}

// sourcePath is file as source.path names it: relative to the config's
// folder, where sluice resolves it, when it is below it.
func sourcePath(file, config string) string {
	abs, err := filepath.Abs(file)
	if err != nil {
		return file
	}
	dir, err := filepath.Abs(filepath.Dir(config))
	if err != nil {
		return abs
	}
	if rel, err := filepath.Rel(dir, abs); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return abs
}

// writeJob appends the job to the config file, or writes a whole config
// when there is none. The result must load: otherwise the file is put
// back as it was.
func writeJob(e *env, path string, res *infer.Result, ro infer.RenderOptions) error {
	old, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		var b bytes.Buffer
		if err := infer.Render(&b, res, ro); err != nil {
			return err
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "sluice: wrote %s with job %s\n", path, ro.Job)
		return nil
	}
	if err != nil {
		return err
	}
	if cfg, err := importer.LoadConfig(path, e.lookup); err == nil {
		if _, err := cfg.Job(ro.Job); err == nil {
			return &usageError{msg: fmt.Sprintf("%s already has a job %s", path, ro.Job), hint: "sluice init --write --job OTHER_NAME " + res.Path}
		}
	}
	if !jobsLast(old) {
		return fmt.Errorf("%s: jobs: is not its last top-level key, so the job cannot be appended safely; run sluice init without --write and paste the job under jobs:", path)
	}
	var b bytes.Buffer
	b.Write(old)
	if len(old) > 0 && old[len(old)-1] != '\n' {
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	ro.JobOnly = true
	if err := infer.Render(&b, res, ro); err != nil {
		return err
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return err
	}
	if _, err := importer.LoadConfig(path, e.lookup); err != nil && len(res.Key.Columns) > 0 {
		if rerr := os.WriteFile(path, old, 0o644); rerr != nil {
			return fmt.Errorf("%w (and putting %s back failed: %v)", err, path, rerr)
		}
		return fmt.Errorf("the job would not load, %s is left as it was: %w", path, err)
	}
	if len(res.Key.Columns) == 0 {
		fmt.Fprintf(e.stderr, "sluice: added job %s to %s; it will not load until you name its key\n", ro.Job, path)
		return nil
	}
	fmt.Fprintf(e.stderr, "sluice: added job %s to %s\n", ro.Job, path)
	return nil
}

// jobsLast reports whether jobs: is the config's last top-level key, so
// an item appended at the end joins its list.
func jobsLast(config []byte) bool {
	last := ""
	for _, line := range strings.Split(string(config), "\n") {
		if line != "" && line[0] != ' ' && line[0] != '\t' && line[0] != '#' && line[0] != '-' {
			last = line
		}
	}
	return strings.HasPrefix(last, "jobs:") && strings.TrimSpace(strings.TrimPrefix(last, "jobs:")) == ""
}
