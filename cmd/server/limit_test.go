package main

import (
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
