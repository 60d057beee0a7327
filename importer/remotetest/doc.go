// Package remotetest runs the servers the remote sources are tested
// against, in process on loopback: an HTTP file server, an S3-compatible
// store (gofakes3) and an SFTP server (pkg/sftp over x/crypto/ssh). Each
// serves a folder or a set of objects, counts the file bodies it sends,
// and can cut a download off halfway, as a broken connection would.
package remotetest

import "sync"

// counter counts requests by name.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *counter) add(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[name]++
}

// total is how many there were, of every name.
func (c *counter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := 0
	for _, v := range c.n {
		t += v
	}
	return t
}

// cutoffs are the files to cut off and after how many bytes.
type cutoffs struct {
	mu sync.Mutex
	at map[string]int64
}

func (c *cutoffs) set(name string, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.at == nil {
		c.at = map[string]int64{}
	}
	c.at[name] = n
}

func (c *cutoffs) get(name string) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.at[name]
	return n, ok
}
