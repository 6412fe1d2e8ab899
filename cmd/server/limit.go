package main

import (
	"net"
	"sync"
)

// limitListener accepts at most n connections open at once: past that,
// Accept waits until one closes, and new clients wait in the kernel's
// backlog. Every connection is held for at most the server's timeouts, so
// a flood of idle clients delays others; it cannot exhaust the server's
// memory or file descriptors.
type limitListener struct {
	net.Listener
	slots chan struct{}
}

func limitConns(ln net.Listener, n int) net.Listener {
	return &limitListener{ln, make(chan struct{}, n)}
}

func (l *limitListener) Accept() (net.Conn, error) {
	l.slots <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, free: func() { <-l.slots }}, nil
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
