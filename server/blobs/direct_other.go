//go:build !linux

package blobs

import (
	"errors"
	"os"
)

const directIO = false

var errNoDirect = errors.New("blobs: direct I/O is not supported on this platform")

func openDirect(string) (*os.File, error) { return nil, errNoDirect }

func setDirect(*os.File, bool) error { return errNoDirect }

func syncFS(string) error { return nil }

func syncFSReliable() bool { return false }
