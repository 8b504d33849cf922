package stripetest

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TLSAlertServer listens on 127.0.0.1 and answers whatever it is sent
// with a TLS alert record, as a TLS server that is not Go's does to a
// client speaking plain HTTP to it.
type TLSAlertServer struct {
	// Addr is where it listens, host:port.
	Addr  string
	conns atomic.Int64
}

// tlsAlert is a fatal protocol_version alert in a TLS 1.0 record.
var tlsAlert = []byte{0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46}

// NewTLSAlertServer starts a TLSAlertServer and stops it when the test
// ends.
func NewTLSAlertServer(t testing.TB) *TLSAlertServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &TLSAlertServer{Addr: ln.Addr().String()}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			wg.Go(func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				if _, err := c.Read(make([]byte, 4096)); err == nil {
					_, _ = c.Write(tlsAlert)
				}
			})
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	return s
}

// Conns is how many connections it has accepted.
func (s *TLSAlertServer) Conns() int { return int(s.conns.Load()) }
