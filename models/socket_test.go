package models

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/sluice-dev/sluice/models/dbtest"
)

// TestOpenSocket connects to the local servers over their unix sockets,
// in the URL forms a Flask app on the same host uses:
// mysql+pymysql://user@localhost/db?unix_socket=/path and
// postgresql:///db?host=/socket/dir. The socket path is asked of the
// server over TCP first.
func TestOpenSocket(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name   string
		newDB  func(testing.TB) string
		socket string // query that returns the socket (or its folder)
		form   func(u *url.URL, socket string) string
	}{
		{"mysql", dbtest.MySQL, "SELECT @@socket", func(u *url.URL, socket string) string {
			return "mysql+pymysql://" + u.User.String() + "@localhost" + u.Path + "?unix_socket=" + socket
		}},
		{"postgres", dbtest.Postgres, "SELECT setting FROM pg_settings WHERE name = 'unix_socket_directories'", func(u *url.URL, socket string) string {
			dir, _, _ := strings.Cut(socket, ",")
			return "postgresql://" + u.User.String() + "@" + u.Path + "?host=" + dir + "&port=" + u.Port()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw := tt.newDB(t)
			tcp, err := Open(ctx, raw, "")
			if err != nil {
				t.Fatal(err)
			}
			var socket string
			err = tcp.Bun.NewRaw(tt.socket).Scan(ctx, &socket)
			tcp.Close()
			if err != nil || socket == "" {
				t.Fatalf("socket of the server: %q, %v", socket, err)
			}
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			sock := tt.form(u, socket)
			db, err := Open(ctx, sock, "")
			if err != nil {
				t.Fatalf("Open(%s): %v", sock, err)
			}
			defer db.Close()
			if err := db.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(db.Target.Host, "/") {
				t.Errorf("Target.Host = %q, want the socket", db.Target.Host)
			}
			// A connection over the socket has no TCP peer address (no
			// client address; no ":port" in MySQL's process list).
			var local bool
			q := "SELECT inet_client_addr() IS NULL"
			if tt.name == "mysql" {
				q = "SELECT host NOT LIKE '%:%' FROM information_schema.processlist WHERE id = CONNECTION_ID()"
			}
			if err := db.Bun.NewRaw(q).Scan(ctx, &local); err != nil || !local {
				t.Errorf("%s = %t, %v; want a socket connection", q, local, err)
			}
		})
	}
}
