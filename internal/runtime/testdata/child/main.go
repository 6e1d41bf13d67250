// Command child is the program the runtime tests run as an instance. By
// default it is an HTTP server on $PORT; its flags make it misbehave.
//
//	/        "ok"
//	/env     its environment, one KEY=VALUE a line
//	/cwd     its working directory
//	/healthz 200, or 500 while the -unhealthy file exists
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	var (
		listen     = flag.Bool("listen", true, "listen at all")
		port       = flag.Int("port", 0, "listen on this port instead of $PORT")
		delay      = flag.Duration("delay", 0, "wait this long before listening")
		exitCode   = flag.Int("exit", -1, "exit with this code (after -exit-after) instead of serving")
		exitAfter  = flag.Duration("exit-after", 0, "when to exit with -exit")
		lines      = flag.Int("lines", 0, "print this many numbered lines at start")
		spam       = flag.Int("spam", 0, "write this many bytes of output at start")
		ignoreTerm = flag.Bool("ignore-term", false, "ignore SIGTERM")
		grandchild = flag.String("grandchild", "", "start a child of its own that sleeps, and write its pid to this file")
		unhealthy  = flag.String("unhealthy", "", "/healthz fails while this file exists")
		probe      = flag.String("probe", "", "GET this path on $PORT and exit 0 on success, 1 otherwise")
		stamp      = flag.String("stamp", "", "write the wall clock time (Unix ns) at which it listens to this file")
		crashOnce  = flag.String("crash-once", "", "exit with code 1 if this file is missing, creating it")
	)
	flag.Parse()

	if *probe != "" {
		resp, err := http.Get("http://127.0.0.1:" + os.Getenv("PORT") + *probe)
		if err != nil || resp.StatusCode != http.StatusOK {
			fmt.Println("probe failed:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	sigc := make(chan os.Signal, 1)
	if *ignoreTerm {
		signal.Ignore(syscall.SIGTERM)
	} else {
		signal.Notify(sigc, syscall.SIGTERM)
		go func() {
			<-sigc
			fmt.Println("got SIGTERM")
			os.Exit(0)
		}()
	}
	for i := 1; i <= *lines; i++ {
		fmt.Printf("line %d\n", i)
	}
	if *spam > 0 {
		os.Stdout.WriteString(strings.Repeat("x", *spam-1) + "\n")
	}
	if *grandchild != "" {
		cmd := exec.Command(os.Args[0], "-listen=false", "-ignore-term")
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		os.WriteFile(*grandchild+".tmp", []byte(strconv.Itoa(cmd.Process.Pid)), 0o644)
		os.Rename(*grandchild+".tmp", *grandchild)
	}
	if *crashOnce != "" {
		if _, err := os.Stat(*crashOnce); err != nil {
			os.WriteFile(*crashOnce, nil, 0o644)
			fmt.Fprintln(os.Stderr, "crashing once")
			os.Exit(1)
		}
	}
	if *exitCode >= 0 {
		time.Sleep(*exitAfter)
		fmt.Fprintf(os.Stderr, "exiting with code %d\n", *exitCode)
		os.Exit(*exitCode)
	}
	if !*listen {
		for {
			time.Sleep(time.Hour)
		}
	}
	time.Sleep(*delay)
	addr := "127.0.0.1:" + os.Getenv("PORT")
	if *port != 0 {
		addr = "127.0.0.1:" + strconv.Itoa(*port)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(4)
	}
	if *stamp != "" {
		now := time.Now().UnixNano()
		os.WriteFile(*stamp+".tmp", []byte(strconv.FormatInt(now, 10)), 0o644)
		os.Rename(*stamp+".tmp", *stamp)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	mux.HandleFunc("/env", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, strings.Join(os.Environ(), "\n"))
	})
	mux.HandleFunc("/cwd", func(w http.ResponseWriter, r *http.Request) {
		wd, _ := os.Getwd()
		fmt.Fprint(w, wd)
	})
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if *unhealthy != "" {
			if _, err := os.Stat(*unhealthy); err == nil {
				http.Error(w, "unhealthy", http.StatusInternalServerError)
				return
			}
		}
		fmt.Fprint(w, "healthy")
	})
	http.Serve(ln, mux)
}
