//go:build linux

package blobs

import (
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// directIO reports whether this platform can write blobs with O_DIRECT.
const directIO = true

// openDirect creates name for writing with O_DIRECT: aligned writes go from
// the caller's buffer to the disk without a copy into the page cache.
func openDirect(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL|syscall.O_DIRECT, 0o640)
}

// setDirect turns O_DIRECT on or off for f's later writes.
func setDirect(f *os.File, on bool) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		fl, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
		if e != 0 {
			serr = e
			return
		}
		if on {
			fl |= syscall.O_DIRECT
		} else {
			fl &^= syscall.O_DIRECT
		}
		if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETFL, fl); e != 0 {
			serr = e
		}
	})
	if err != nil {
		return err
	}
	if serr != nil {
		return fmt.Errorf("fcntl O_DIRECT: %w", serr)
	}
	return nil
}

// syncFS makes every write to the filesystem holding dir durable (syncfs):
// one journal commit and disk flush for a whole batch of files.
func syncFS(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	rc, err := d.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		serr = unix.Syncfs(int(fd))
	})
	if err != nil {
		return err
	}
	return serr
}

// syncFSReliable reports whether syncfs(2) on this kernel reports the
// writeback errors of the files it flushes (Linux 5.8 and later); before
// that an I/O error during its writeback went unnoticed, so PutMany
// fsyncs each file instead.
func syncFSReliable() bool {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return false
	}
	return kernelAtLeast(unix.ByteSliceToString(u.Release[:]), 5, 8)
}
