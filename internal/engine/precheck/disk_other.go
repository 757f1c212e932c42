//go:build !(linux || darwin || freebsd)

package precheck

import "errors"

// diskSpace cannot measure file systems on this operating system.
func diskSpace(string) (free, total uint64, err error) {
	return 0, 0, errors.New("measuring free space is not supported on this operating system")
}
