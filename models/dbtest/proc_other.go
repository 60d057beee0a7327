//go:build !linux

package dbtest

import (
	"errors"
	"syscall"
)

var errNotLinux = errors.New("dbtest starts servers on Linux only")

// procAttr: starting servers is Linux-only (it relies on the parent-death
// signal to leave nothing behind).
func procAttr(*syscall.SysProcAttr) (*syscall.SysProcAttr, error) { return nil, errNotLinux }

func runAs(string) (*syscall.SysProcAttr, int, int, error) { return nil, 0, 0, errNotLinux }
