package dbtest

import (
	"fmt"
	"os/user"
	"strconv"
	"syscall"
)

// procAttr adds to attr (which may be nil, or carry the credentials of
// the user to run as) that the server dies with the test process, so a
// test binary killed by its timeout leaves no server behind.
func procAttr(attr *syscall.SysProcAttr) (*syscall.SysProcAttr, error) {
	if attr == nil {
		attr = &syscall.SysProcAttr{}
	}
	// Go sets the signal after switching user, so it survives the switch.
	attr.Pdeathsig = syscall.SIGKILL
	return attr, nil
}

// runAs returns the process attributes that run a program as the OS user
// name, and that user's ids for chown.
func runAs(name string) (attr *syscall.SysProcAttr, uid, gid int, err error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, 0, 0, err
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return nil, 0, 0, fmt.Errorf("user %s: ids %s:%s are not numbers", name, u.Uid, u.Gid)
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}
	return &syscall.SysProcAttr{Credential: cred}, uid, gid, nil
}
