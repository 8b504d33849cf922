package stripetest

import (
	"context"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// DNS is a DNS server on 127.0.0.1 that answers every query with NXDOMAIN
// (no such name), or never answers, as an unreachable resolver would not.
type DNS struct {
	conn   net.PacketConn
	answer bool
	done   chan struct{}

	mu    sync.Mutex
	names map[string]int
}

// NewDNS starts a DNS server that answers NXDOMAIN if answer is set and
// nothing otherwise, and stops it when the test ends.
func NewDNS(t testing.TB, answer bool) *DNS {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &DNS{conn: conn, answer: answer, done: make(chan struct{}), names: map[string]int{}}
	go d.serve()
	t.Cleanup(func() {
		_ = conn.Close()
		<-d.done
	})
	return d
}

// Resolver returns a resolver that sends every query to d, whatever
// /etc/resolv.conf names, so no lookup leaves 127.0.0.1. It is a new one
// each time: a net.Resolver shares concurrent lookups of a name, and keeps
// a shared one going after its callers gave up.
func (d *DNS) Resolver() *net.Resolver {
	addr := d.conn.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var dialer net.Dialer
		c, err := dialer.DialContext(ctx, "udp", addr)
		if err != nil {
			return nil, err
		}
		// The resolver waits for an answer until its own timeout (5 s a
		// try), not for its context: a lookup given up on would linger
		// that long. End the wait when the lookup's context ends.
		context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
		return c, nil
	}}
}

// Names returns the names d was asked about, lower-cased and each once.
func (d *DNS) Names() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for name := range d.names {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

func (d *DNS) serve() {
	defer close(d.done)
	buf := make([]byte, 1500)
	for {
		n, from, err := d.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		name, end, ok := dnsQuestion(buf[:n])
		if !ok {
			continue
		}
		d.mu.Lock()
		d.names[strings.ToLower(name)]++
		d.mu.Unlock()
		if !d.answer {
			continue
		}
		resp := slices.Clone(buf[:end])
		resp[2] = 0x80 | buf[2]&0x79 // a response, with the query's opcode and RD
		resp[3] = 0x80 | 3           // RA, NXDOMAIN
		clear(resp[6:12])            // no answer, authority or additional records
		_, _ = d.conn.WriteTo(resp, from)
	}
}

// dnsQuestion returns the name asked about in query and where its one
// question ends.
func dnsQuestion(query []byte) (name string, end int, ok bool) {
	if len(query) < 12 || query[4] != 0 || query[5] != 1 {
		return "", 0, false
	}
	var labels []string
	off := 12
	for {
		if off >= len(query) {
			return "", 0, false
		}
		l := int(query[off])
		off++
		if l == 0 {
			break
		}
		if l > 63 || off+l > len(query) {
			return "", 0, false
		}
		labels = append(labels, string(query[off:off+l]))
		off += l
	}
	if off+4 > len(query) {
		return "", 0, false
	}
	return strings.Join(labels, ".") + ".", off + 4, true
}
