package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// The S3 source talks to the AWS SDK directly rather than through
// gocloud.dev/blob: blob's listing has no ETag (a HEAD per object would
// be needed to skip a file without downloading it), and the SDK alone
// gives GetObject's If-Match, which turns a file replaced during the
// import into a clear failure, and S3's own error codes for the hints.

func init() { remoteKinds["s3"] = newS3Source }

// s3Source is the objects an s3://bucket/prefix/glob URL matches, in key
// order, on AWS or any S3-compatible store (endpoint=…). Credentials come
// from the SDK's standard chain: AWS_ACCESS_KEY_ID and friends,
// AWS_PROFILE and ~/.aws, a role.
type s3Source struct {
	bucket, pattern, prefix string
	region, endpoint        string
	pathStyle               bool
	name                    string
}

var _ Source = (*s3Source)(nil)

func newS3Source(u *url.URL, _ *SourceConfig, _ string) (Source, error) {
	if u.User != nil {
		return nil, errors.New("credentials do not go in an s3:// URL: they come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE or ~/.aws")
	}
	s := &s3Source{bucket: u.Host, pattern: strings.TrimPrefix(u.Path, "/")}
	if s.bucket == "" || s.pattern == "" {
		return nil, errors.New("want s3://bucket/prefix/files-*.csv")
	}
	if _, err := path.Match(s.pattern, ""); err != nil {
		return nil, fmt.Errorf("bad glob %q: %v", s.pattern, err)
	}
	s.prefix = s.pattern
	if i := strings.IndexAny(s.pattern, `*?[\`); i >= 0 {
		s.prefix = s.pattern[:i]
	}
	for k, v := range u.Query() {
		switch k {
		case "region":
			s.region = v[0]
		case "endpoint":
			s.endpoint = v[0]
			if e, err := url.Parse(s.endpoint); err != nil || e.Scheme == "" || e.Host == "" {
				return nil, fmt.Errorf("endpoint=%s is not a URL such as https://minio.example.com:9000", s.endpoint)
			}
		case "use_path_style":
			b, err := strconv.ParseBool(v[0])
			if err != nil {
				return nil, fmt.Errorf("use_path_style=%s is not true or false", v[0])
			}
			s.pathStyle = b
		default:
			return nil, fmt.Errorf("unknown option %s (an s3:// URL takes region, endpoint and use_path_style)", k)
		}
	}
	s.name = redactURL(u.String())
	return s, nil
}

func (s *s3Source) String() string { return s.name }

func (s *s3Source) key(f File) (string, bool) {
	return strings.CutPrefix(f.Name, "s3://"+s.bucket+"/")
}

func (s *s3Source) owns(f File) bool {
	k, ok := s.key(f)
	m, _ := path.Match(s.pattern, k)
	return ok && m
}

// client reads the standard AWS configuration each time: credentials
// rotated on disk or in the environment are picked up by the next run.
func (s *s3Source) client(ctx context.Context) (*s3.Client, error) {
	var opts []func(*config.LoadOptions) error
	if s.region != "" {
		opts = append(opts, config.WithRegion(s.region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, &SourceError{URL: s.name, Problem: "cannot read the AWS configuration", Err: err,
			Hint: "check AWS_PROFILE, AWS_CONFIG_FILE and ~/.aws/config"}
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1" // S3's own default; an endpoint's store often ignores it
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if s.endpoint != "" {
			o.BaseEndpoint = aws.String(s.endpoint)
		}
		o.UsePathStyle = s.pathStyle
		// Checksums only where S3 requires them: S3-compatible stores
		// do not all send or take the newer ones, and the ledger's
		// SHA-256 checks the bytes anyway.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		o.DisableLogOutputChecksumValidationSkipped = true
	}), nil
}

func (s *s3Source) List(ctx context.Context) ([]File, error) {
	c, err := s.client(ctx)
	if err != nil {
		return nil, err
	}
	var files []File
	pages := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: &s.bucket, Prefix: &s.prefix})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, s.apiError(ctx, s.name, err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if ok, _ := path.Match(s.pattern, key); !ok {
				continue
			}
			files = append(files, File{Name: "s3://" + s.bucket + "/" + key, Size: aws.ToInt64(o.Size),
				ModTime: aws.ToTime(o.LastModified), ETag: aws.ToString(o.ETag)})
		}
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	return files, nil
}

// Open fetches the object if it is still the version listed (If-Match
// its ETag).
func (s *s3Source) Open(ctx context.Context, f File) (io.ReadCloser, error) {
	key, ok := s.key(f)
	if !ok {
		return nil, fmt.Errorf("%s is not an object of %s", f.Name, s.name)
	}
	c, err := s.client(ctx)
	if err != nil {
		return nil, err
	}
	in := &s3.GetObjectInput{Bucket: &s.bucket, Key: &key}
	if f.ETag != "" {
		in.IfMatch = aws.String(f.ETag)
	}
	out, err := c.GetObject(ctx, in)
	if err != nil {
		return nil, s.apiError(ctx, f.Name, err)
	}
	return &ctxReader{ctx: ctx, r: out.Body}, nil
}

// apiError says what S3's answer means for the import.
func (s *s3Source) apiError(ctx context.Context, name string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	e := &SourceError{URL: name, Err: err}
	var api smithy.APIError
	var resp *awshttp.ResponseError
	code := ""
	if errors.As(err, &api) {
		code = api.ErrorCode()
	}
	status := 0
	if errors.As(err, &resp) {
		status = resp.HTTPStatusCode()
	}
	switch {
	case code == "NoSuchBucket":
		e.Problem, e.Hint = "no bucket "+s.bucket, "check the bucket in source.path, and endpoint= for a store other than AWS"
	case code == "NoSuchKey" || status == 404:
		e.Problem, e.Hint = "no such object", "it was removed after it was listed, or source.path names the wrong key"
	case code == "PreconditionFailed" || status == 412:
		return changedError(name)
	case code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "ExpiredToken" || code == "InvalidToken":
		e.Problem, e.Hint = "the store refused the credentials ("+code+")", "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the profile in AWS_PROFILE)"
	case code == "AccessDenied" || status == 403:
		e.Problem, e.Hint = "permission denied", "the credentials may not list or read "+s.bucket+": s3:ListBucket and s3:GetObject are needed"
	case strings.Contains(err.Error(), "failed to retrieve credentials") || strings.Contains(err.Error(), "no EC2 IMDS role"):
		e.Problem, e.Hint = "no AWS credentials", "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (in the environment file under systemd)"
	case status >= 500 || status == 429 || status == 0:
		se := unreachableError(name, err)
		if status != 0 {
			se.Problem = "the store answered " + strconv.Itoa(status)
		}
		return se
	default:
		e.Problem, e.Hint = "the store refused the request", "see the store's answer"
	}
	return e
}
