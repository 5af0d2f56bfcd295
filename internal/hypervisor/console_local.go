package hypervisor

import (
	"errors"
	"io"
	"io/fs"
	"os"
)

// When the daemon runs on this host and this process may read the console
// directory (it is root's, mode 0700), console logs are read, sized and
// appended to as files: a readiness gate polls its log several times a
// second, and through libvirt each poll is a volume lookup and a download
// stream, which at parallelism 50 queue for the transfer slots and the pool
// lock. The file is the domain's serial log by construction (the domain's
// <log file> is ConsolePool.LogPath). Anything else (a remote host, no
// permission) goes through libvirt as before, and so do xenconsoled's logs
// on a local Xen host: markers wait for such a log to settle (console_xen.go).

// consoleFile is the local path of domain's console log, when it can be used.
func (sh *shared) consoleFile(p ConsolePool, domain string) (string, bool) {
	if p.Path == "" || p.Xen || !sh.Local() {
		return "", false
	}
	return p.LogPath(domain), true
}

// localConsoleSize returns the size of the log file; ok is false when the
// file cannot be examined (libvirt must answer). A missing log is empty.
func localConsoleSize(file string) (n uint64, ok bool) {
	st, err := os.Stat(file)
	switch {
	case err == nil:
		return uint64(st.Size()), true
	case errors.Is(err, fs.ErrNotExist):
		return 0, true
	}
	return 0, false
}

// readLocalConsole reads the log file from offset, at most the last limit
// bytes (all when limit is 0); ok is false when the file cannot be read.
func readLocalConsole(file string, offset uint64, limit int) (b []byte, ok bool) {
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, true
	}
	if err != nil {
		return nil, false
	}
	defer func() { _ = f.Close() }()
	if _, err := f.Seek(int64(offset), io.SeekStart); err != nil {
		return nil, false
	}
	tail := &tailBuffer{limit: limit}
	if _, err := io.Copy(tail, f); err != nil {
		return nil, false
	}
	return tail.Bytes(), true
}

// appendLocalConsole appends text to the log file, creating it (mode 0600,
// as the pool's volumes) when create is set; ok is false when it cannot.
// The pool learns of a file made here at its next rescan, as it does of the
// files virtlogd makes.
func appendLocalConsole(file, text string, create bool) bool {
	flags := os.O_WRONLY | os.O_APPEND
	if create {
		flags |= os.O_CREATE
	}
	f, err := os.OpenFile(file, flags, 0o600)
	if err != nil {
		return false
	}
	_, werr := f.WriteString(text)
	cerr := f.Close()
	return werr == nil && cerr == nil
}
