package origintest

import (
	"context"
	"net/http"

	"golang.org/x/time/rate"
)

// Throttle serves each GET at bytesPerSec, each answer on its own.
func Throttle(bytesPerSec int) Fault {
	return throttle(func(*http.Request) *rate.Limiter { return rate.NewLimiter(rate.Limit(bytesPerSec), 16<<10) })
}

// ThrottleAll serves the GETs at bytesPerSec for all of them together, as
// one slow link does.
func ThrottleAll(bytesPerSec int) Fault {
	lim := rate.NewLimiter(rate.Limit(bytesPerSec), 32<<10)
	return throttle(func(*http.Request) *rate.Limiter { return lim })
}

// ThrottleConn serves the GETs at bytesPerSec for each TCP connection, as
// CDNs cap them; a connection's bucket starts full.
func ThrottleConn(bytesPerSec int) Fault {
	return throttle(func(r *http.Request) *rate.Limiter {
		c := r.Context().Value(connKey{}).(*connState)
		c.once.Do(func() { c.lim = rate.NewLimiter(rate.Limit(bytesPerSec), 256<<10) })
		return c.lim
	})
}

func throttle(limiter func(*http.Request) *rate.Limiter) Fault {
	return func(s *Server, w http.ResponseWriter, r *http.Request, _ int64) bool {
		if r.Method != http.MethodGet {
			return false
		}
		s.ServeFile(&throttledWriter{ResponseWriter: w, lim: limiter(r), ctx: r.Context()}, r)
		return true
	}
}

// throttledWriter paces the body through lim.
type throttledWriter struct {
	http.ResponseWriter
	lim *rate.Limiter
	ctx context.Context
}

func (tw *throttledWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		n := min(len(p), tw.lim.Burst())
		if err := tw.lim.WaitN(tw.ctx, n); err != nil {
			return written, err
		}
		m, err := tw.ResponseWriter.Write(p[:n])
		written += m
		if err != nil {
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}

func (tw *throttledWriter) Unwrap() http.ResponseWriter { return tw.ResponseWriter }
