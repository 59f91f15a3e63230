package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// The routes, under /v1 so that a later protocol can live beside them.
// Jail names and keys are path segments (escaped); bodies and answers are
// JSON; an error is {"error": "message"} with its status code.
const (
	routePing       = "GET /v1/ping"                        // → {}
	routeStatus     = "GET /v1/status"                      // → Overview
	routeJailStatus = "GET /v1/jails/{jail}/status"         // → JailStatus
	routeBan        = "POST /v1/jails/{jail}/ban"           // {"ips": [...]} → {"count": n}
	routeUnban      = "POST /v1/unban"                      // {"jail", "ips", "all"} → {"count": n}
	routeBanned     = "POST /v1/banned"                     // {"ips": [...]} → {"jails": [JailBans]}
	routeReload     = "POST /v1/reload"                     // {"jail", "unban"} → {}
	routeGet        = "GET /v1/jails/{jail}/settings/{key}" // → {"value": Value}
	routeSet        = "PUT /v1/jails/{jail}/settings/{key}" // {"value": "text"} → {"value": Value}
	routeStop       = "POST /v1/stop"                       // → {}
	maxBody         = 1 << 20                               // bytes of a request body
	defaultShutdown = 5 * time.Second
)

type banRequest struct {
	IPs []string `json:"ips"`
}

type unbanRequest struct {
	Jail string   `json:"jail,omitempty"`
	IPs  []string `json:"ips,omitempty"`
	All  bool     `json:"all,omitempty"`
}

type bannedRequest struct {
	IPs []string `json:"ips,omitempty"`
}

type reloadRequest struct {
	Jail  string `json:"jail,omitempty"`
	Unban bool   `json:"unban,omitempty"`
}

type setRequest struct {
	Value string `json:"value"`
}

type countReply struct {
	Count int `json:"count"`
}

type bannedReply struct {
	Jails []JailBans `json:"jails"`
}

type valueReply struct {
	Value Value `json:"value"`
}

type errorReply struct {
	Error string `json:"error"`
}

// Server serves a Daemon on a unix socket.
type Server struct {
	d   Daemon
	log *slog.Logger
	// ShutdownTimeout bounds the wait for requests in flight when Serve's
	// context ends (default 5s); then the connections are closed.
	ShutdownTimeout time.Duration
}

// NewServer returns a server of d that logs to log.
func NewServer(d Daemon, log *slog.Logger) *Server {
	return &Server{d: d, log: log, ShutdownTimeout: defaultShutdown}
}

// Handler is the HTTP handler of the control protocol, on its own mux.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(routePing, func(w http.ResponseWriter, r *http.Request) {
		s.reply(w, r, struct{}{}, s.d.Ping())
	})
	mux.HandleFunc(routeStatus, func(w http.ResponseWriter, r *http.Request) {
		o, err := s.d.Status()
		if o.Jails == nil {
			o.Jails = []string{}
		}
		s.reply(w, r, o, err)
	})
	mux.HandleFunc(routeJailStatus, func(w http.ResponseWriter, r *http.Request) {
		st, err := s.d.JailStatus(r.PathValue("jail"))
		if st.FileList == nil {
			st.FileList = []string{}
		}
		if st.BannedIPs == nil {
			st.BannedIPs = []string{}
		}
		s.reply(w, r, st, err)
	})
	mux.HandleFunc(routeBan, func(w http.ResponseWriter, r *http.Request) {
		var req banRequest
		if !s.decode(w, r, &req) {
			return
		}
		if len(req.IPs) == 0 {
			s.reply(w, r, nil, fmt.Errorf("%w: no address to ban", ErrBadValue))
			return
		}
		n, err := s.d.Ban(r.PathValue("jail"), req.IPs)
		s.reply(w, r, countReply{n}, err)
	})
	mux.HandleFunc(routeUnban, func(w http.ResponseWriter, r *http.Request) {
		var req unbanRequest
		if !s.decode(w, r, &req) {
			return
		}
		if req.All == (len(req.IPs) > 0) {
			s.reply(w, r, nil, fmt.Errorf("%w: give addresses to unban, or all, not both", ErrBadValue))
			return
		}
		n, err := s.d.Unban(req.Jail, req.IPs, req.All)
		s.reply(w, r, countReply{n}, err)
	})
	mux.HandleFunc(routeBanned, func(w http.ResponseWriter, r *http.Request) {
		var req bannedRequest
		if !s.decode(w, r, &req) {
			return
		}
		jb, err := s.d.Banned(req.IPs)
		if jb == nil {
			jb = []JailBans{}
		}
		for i := range jb {
			if jb[i].IPs == nil {
				jb[i].IPs = []string{}
			}
		}
		s.reply(w, r, bannedReply{jb}, err)
	})
	mux.HandleFunc(routeReload, func(w http.ResponseWriter, r *http.Request) {
		var req reloadRequest
		if !s.decode(w, r, &req) {
			return
		}
		s.reply(w, r, struct{}{}, s.d.Reload(req.Jail, req.Unban))
	})
	mux.HandleFunc(routeGet, func(w http.ResponseWriter, r *http.Request) {
		v, err := s.d.Get(r.PathValue("jail"), r.PathValue("key"))
		s.reply(w, r, valueReply{v}, err)
	})
	mux.HandleFunc(routeSet, func(w http.ResponseWriter, r *http.Request) {
		var req setRequest
		if !s.decode(w, r, &req) {
			return
		}
		v, err := s.d.Set(r.PathValue("jail"), r.PathValue("key"), req.Value)
		s.reply(w, r, valueReply{v}, err)
	})
	mux.HandleFunc(routeStop, func(w http.ResponseWriter, r *http.Request) {
		s.reply(w, r, struct{}{}, s.d.Stop())
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeJSON(w, http.StatusNotFound, errorReply{Error: fmt.Sprintf("no such request: %s %s", r.Method, r.URL.Path)})
	})
	return mux
}

// decode reads the JSON body into v; on failure it answers 400 itself.
func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		s.writeJSON(w, http.StatusBadRequest, errorReply{Error: "bad request: " + err.Error()})
		return false
	}
	return true
}

// reply answers with v, or with err and its status code.
func (s *Server) reply(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err == nil {
		s.writeJSON(w, http.StatusOK, v)
		return
	}
	code := statusOf(err)
	if code == http.StatusInternalServerError {
		s.log.Error("control request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	s.writeJSON(w, code, errorReply{Error: err.Error()})
}

func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrUnknownJail):
		return http.StatusNotFound
	case errors.Is(err, ErrBadValue):
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

func (s *Server) writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.log.Error("control reply", "err", err)
		code = http.StatusInternalServerError
		b, _ = json.Marshal(errorReply{Error: "encode reply: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

// Serve answers on l until ctx is done, then shuts down: requests in
// flight get ShutdownTimeout to finish, then the connections are closed.
// It closes l (removing its socket file) and returns nil after a shutdown
// through ctx, or the error that stopped it.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	select {
	case err := <-served:
		l.Close()
		return fmt.Errorf("serve control socket: %w", err)
	case <-ctx.Done():
	}
	timeout := s.ShutdownTimeout
	if timeout <= 0 {
		timeout = defaultShutdown
	}
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		s.log.Warn("control socket: requests cut short at shutdown", "err", err)
		err = srv.Close()
	}
	<-served // http.ErrServerClosed
	if err != nil {
		return fmt.Errorf("shut down control socket: %w", err)
	}
	return nil
}

// Listen makes the control socket at path, mode 0600, creating its
// directory (0755) if needed. A stale socket left by a daemon that died
// is replaced; a socket a daemon answers on, or a path that is not a
// socket, is an error. The socket is made under a private name and renamed
// into place, so it is never reachable with wider permissions. Closing the
// listener removes the file.
func Listen(path string) (net.Listener, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create socket directory: %w", err)
	}
	if err := checkStale(path); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(dir, ".warden-sock-")
	if err != nil {
		return nil, fmt.Errorf("create socket: %w", err)
	}
	defer os.RemoveAll(tmp)
	tpath := filepath.Join(tmp, "s")
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: tpath, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listen on unix socket: %w", err)
	}
	ul.SetUnlinkOnClose(false)
	if err := os.Chmod(tpath, 0o600); err != nil {
		ul.Close()
		return nil, fmt.Errorf("chmod socket: %w", err)
	}
	if err := os.Rename(tpath, path); err != nil {
		ul.Close()
		return nil, fmt.Errorf("create socket: %w", err)
	}
	fi, err := os.Lstat(path)
	if err != nil {
		ul.Close()
		return nil, fmt.Errorf("create socket: %w", err)
	}
	return &listener{UnixListener: ul, path: path, fi: fi}, nil
}

// checkStale removes a socket nobody answers on; anything else at path
// is an error.
func checkStale(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check socket: %w", err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s exists and is not a socket: refusing to remove it", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("%s: another daemon answers on this socket", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove stale socket: %w", err)
	}
	return nil
}

// listener removes its socket file on Close, unless another file has
// taken its place.
type listener struct {
	*net.UnixListener
	path string
	fi   os.FileInfo
}

func (l *listener) Close() error {
	err := l.UnixListener.Close()
	if fi, serr := os.Lstat(l.path); serr == nil && os.SameFile(fi, l.fi) {
		os.Remove(l.path)
	}
	return err
}
