package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"testing/fstest"
	"time"
)

// TestConnectionCap: with room for two connections, two clients that send
// nothing hold the server; a third request waits, and is served as soon
// as one of them goes.
func TestConnectionCap(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	site := fstest.MapFS{"index.html": {Data: []byte("<!doctype html>hello")}}
	srv := &http.Server{Handler: newHandler(site, io.Discard, false), ReadHeaderTimeout: time.Minute}
	go srv.Serve(limitConns(ln, 2))
	defer srv.Close()
	var idle []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		idle = append(idle, c)
	}
	got := make(chan error, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/")
		if err == nil {
			resp.Body.Close()
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("a third connection was served while two held the server (err %v)", err)
	case <-time.After(500 * time.Millisecond):
	}
	idle[0].Close()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting request was not served after a connection closed")
	}
}

// TestIdleConnectionsShed: 520 keep-alive clients that each made one
// request and then idle cannot keep a new visitor out of a server capped
// at 512 connections: the oldest idle ones are closed to make room, and
// the visitor is served at once (under a second here; the test allows 10
// s for a loaded machine, where without shedding it would wait out the
// 2-minute idle timeout). A client still sending its
// request is not shed (TestConnectionCap).
func TestIdleConnectionsShed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	site := fstest.MapFS{"index.html": {Data: []byte("<!doctype html>hello")}}
	limited := limitConns(ln, defaultMaxConns)
	srv := &http.Server{Handler: newHandler(site, io.Discard, false), ReadHeaderTimeout: time.Minute, IdleTimeout: 2 * time.Minute, ConnState: limited.ConnState}
	go srv.Serve(limited)
	defer srv.Close()
	const clients = 520
	for i := range clients {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	start := time.Now()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		t.Fatalf("a new visitor beside %d idle connections: %v", clients, err)
	}
	resp.Body.Close()
	t.Logf("a new visitor beside %d idle connections was served in %v", clients, time.Since(start))
}
