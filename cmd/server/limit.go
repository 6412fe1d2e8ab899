package main

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// limitListener accepts at most n connections open at once. When all n
// are open, Accept closes the connection that has been idle the longest
// (a keep-alive connection between requests) and takes its slot; where
// none is idle, it waits until one closes or turns idle, and new clients
// wait in the kernel's backlog. A connection still sending its first
// request is never shed: the server's header timeout bounds it (a
// slowloris client is dropped after it, as before). So idle keep-alive
// clients cannot keep a new visitor out, and no flood can exhaust the
// server's memory or file descriptors.
//
// The server must report connection states to ConnState
// (http.Server.ConnState) for idle connections to be shed.
type limitListener struct {
	net.Listener
	slots chan struct{}
	idled chan struct{} // a connection turned idle (buffered, 1)

	mu   sync.Mutex
	idle map[*limitConn]time.Time // idle connections, since when
}

func limitConns(ln net.Listener, n int) *limitListener {
	return &limitListener{
		Listener: ln,
		slots:    make(chan struct{}, n),
		idled:    make(chan struct{}, 1),
		idle:     map[*limitConn]time.Time{},
	}
}

func (l *limitListener) Accept() (net.Conn, error) {
	for taken := false; !taken; {
		select {
		case l.slots <- struct{}{}:
			taken = true
		default:
			if !l.shed() {
				select {
				case l.slots <- struct{}{}:
					taken = true
				case <-l.idled:
				}
			}
		}
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	lc := &limitConn{Conn: c}
	lc.free = func() {
		l.mu.Lock()
		delete(l.idle, lc)
		l.mu.Unlock()
		<-l.slots
	}
	return lc, nil
}

// shed closes the connection idle the longest and reports whether there
// was one.
func (l *limitListener) shed() bool {
	l.mu.Lock()
	var oldest *limitConn
	var since time.Time
	for c, t := range l.idle {
		if oldest == nil || t.Before(since) {
			oldest, since = c, t
		}
	}
	delete(l.idle, oldest)
	l.mu.Unlock()
	if oldest == nil {
		return false
	}
	oldest.Close()
	return true
}

// ConnState tracks which connections are idle; give it to the server's
// ConnState hook.
func (l *limitListener) ConnState(c net.Conn, state http.ConnState) {
	lc, ok := c.(*limitConn)
	if !ok {
		return
	}
	l.mu.Lock()
	if state == http.StateIdle {
		l.idle[lc] = time.Now()
	} else {
		delete(l.idle, lc)
	}
	l.mu.Unlock()
	if state == http.StateIdle {
		select {
		case l.idled <- struct{}{}:
		default:
		}
	}
}

// limitConn gives its slot back when it is closed, once.
type limitConn struct {
	net.Conn
	once sync.Once
	free func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.free)
	return err
}
