package hypervisor

import (
	"time"

	"github.com/hashicorp/go-hclog"
)

// progressEvery is how often a running transfer logs its progress.
const progressEvery = 5 * time.Second

// progressMin is the size below which a transfer logs nothing: console reads
// and small kernels finish long before anyone would look.
const progressMin = 16 << 20

// transferProgress logs a volume transfer's bytes and rate at INFO: every
// progressEvery while it runs, and once at the end.
type transferProgress struct {
	log   hclog.Logger
	quiet bool
	start time.Time
	next  time.Time
}

func (s *session) progress(dir, id string, size uint64) *transferProgress {
	now := time.Now()
	return &transferProgress{
		log:   s.log.With("transfer", dir, "volume", id, "size_bytes", size),
		quiet: size != 0 && size < progressMin,
		start: now, next: now.Add(progressEvery),
	}
}

func (p *transferProgress) at(n uint64) {
	if p.quiet || n < progressMin || time.Now().Before(p.next) {
		return
	}
	p.next = time.Now().Add(progressEvery)
	p.log.Info("volume transfer in progress", "bytes", n, "mib_per_s", p.rate(n))
}

func (p *transferProgress) done(n uint64) {
	if n < progressMin {
		return
	}
	p.log.Info("volume transfer done", "bytes", n, "seconds", time.Since(p.start).Seconds(), "mib_per_s", p.rate(n))
}

func (p *transferProgress) rate(n uint64) float64 {
	s := time.Since(p.start).Seconds()
	if s <= 0 {
		return 0
	}
	return float64(n) / (1 << 20) / s
}
