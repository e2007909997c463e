// A nexus WAMP router for the tests: realm "realm1", anonymous, websocket on
// 127.0.0.1:<port> (json, msgpack, cbor), Payload Passthru Mode announced.
// Prints "LISTENING <port>" once it accepts connections; stops on SIGTERM/SIGINT.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/gammazero/nexus/v3/router"
	"github.com/gammazero/nexus/v3/wamp"
)

func main() {
	port := flag.Int("port", 0, "websocket port on 127.0.0.1 (0: any free port)")
	flag.Parse()

	nxr, err := router.NewRouter(&router.Config{
		RealmConfigs: []*router.RealmConfig{{URI: wamp.URI("realm1"), AnonymousAuth: true, AllowDisclose: true}},
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer nxr.Close()

	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		log.Fatal(err)
	}
	server := router.NewWebsocketServer(nxr)
	httpServer := &http.Server{Handler: server}
	go func() {
		if err := httpServer.Serve(ln); err != nil && err != http.ErrServerClosed {
			log.Fatal(err)
		}
	}()
	defer httpServer.Close()
	fmt.Printf("LISTENING %d\n", ln.Addr().(*net.TCPAddr).Port)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}
