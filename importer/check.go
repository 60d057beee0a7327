package importer

import "context"

// FileCheck is what sluice check finds of one of a job's files, without
// importing it: how its header meets the declared columns.
type FileCheck struct {
	File File
	// Missing are the declared columns' headers the file lacks: its import
	// would fail.
	Missing []string
	// Extra are the headers no column reads; an import ignores them.
	Extra []string
	// Err is a file that cannot be read as this job's CSV at all (not
	// text, a broken header, unreadable).
	Err error
}

// CheckFiles lists the job's files and reads each one's header through
// its Source, as an import would. A source that matches nothing is a
// *NoFilesError, unless source.allow_empty.
func (j *Job) CheckFiles(ctx context.Context) ([]FileCheck, error) {
	files, err := j.source.List(ctx)
	if err != nil {
		return nil, err // the caller names the job
	}
	if len(files) == 0 && !j.Source.AllowEmpty {
		return nil, &NoFilesError{Job: j.Name, Source: j.source.String(), Reason: emptyReason(j.source)}
	}
	checks := make([]FileCheck, len(files))
	for i, f := range files {
		checks[i] = j.checkFile(ctx, f)
	}
	return checks, nil
}

func (j *Job) checkFile(ctx context.Context, f File) FileCheck {
	c := FileCheck{File: f}
	r, err := j.source.Open(ctx, f)
	if err != nil {
		c.Err = err
		return c
	}
	defer r.Close()
	rd, err := NewReader(r, f.Name, j.format)
	if err != nil {
		c.Err = err
		return c
	}
	_, c.Missing, c.Extra = j.matchHeader(rd.Header())
	if len(c.Missing) > 0 {
		c.Err = &FileError{Path: f.Name, Line: 1, Err: missingColumns(c.Missing, rd.Header())}
	}
	return c
}
