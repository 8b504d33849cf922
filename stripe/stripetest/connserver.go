package stripetest

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ConnServer listens on 127.0.0.1 and hands each connection to a function
// of the test's, for answers that no HTTP server gives: a reset mid-body, a
// TLS alert to plain HTTP.
type ConnServer struct {
	// Addr is where it listens, host:port.
	Addr  string
	conns atomic.Int64
}

// NewConnServer starts a ConnServer that runs serve on each connection,
// with a 5-second deadline set, and closes the connection after it. The
// server stops when the test ends.
func NewConnServer(t testing.TB, serve func(net.Conn)) *ConnServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &ConnServer{Addr: ln.Addr().String()}
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
				serve(c)
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
func (s *ConnServer) Conns() int { return int(s.conns.Load()) }

// tlsAlert is a fatal protocol_version alert in a TLS 1.0 record.
var tlsAlert = []byte{0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46}

// NewTLSAlertServer starts a ConnServer that answers whatever it is sent
// with a TLS alert record, as a TLS server that is not Go's does to a
// client speaking plain HTTP to it.
func NewTLSAlertServer(t testing.TB) *ConnServer {
	t.Helper()
	return NewConnServer(t, func(c net.Conn) {
		if _, err := c.Read(make([]byte, 4096)); err == nil {
			_, _ = c.Write(tlsAlert)
		}
	})
}
