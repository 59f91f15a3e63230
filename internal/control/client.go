package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Error is an error the daemon answered with. errors.Is matches
// ErrUnknownJail for 404 and ErrBadValue for 400.
type Error struct {
	StatusCode int
	Message    string
}

func (e *Error) Error() string { return e.Message }

// Is makes errors.Is(err, ErrUnknownJail) and ErrBadValue work on the
// client's side of the socket.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnknownJail:
		return e.StatusCode == http.StatusNotFound
	case ErrBadValue:
		return e.StatusCode == http.StatusBadRequest
	}
	return false
}

// Client calls the daemon's control socket. Its methods are safe for
// concurrent use.
type Client struct {
	// Socket is the path of the control socket.
	Socket string
	// Transport carries the requests; nil means one that dials Socket.
	// Tests may put their own.
	Transport http.RoundTripper
}

// NewClient returns a client of the socket at path.
func NewClient(path string) *Client {
	return &Client{Socket: path}
}

func (c *Client) httpClient() *http.Client {
	t := c.Transport
	if t == nil {
		socket := c.Socket
		t = &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				d := net.Dialer{Timeout: 2 * time.Second}
				return d.DialContext(ctx, "unix", socket)
			},
			DisableKeepAlives: true,
		}
	}
	return &http.Client{Transport: t}
}

// Ping checks that the daemon answers.
func (c *Client) Ping(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/v1/ping", nil, nil)
}

// Status returns the list of jails.
func (c *Client) Status(ctx context.Context) (Overview, error) {
	var o Overview
	err := c.do(ctx, http.MethodGet, "/v1/status", nil, &o)
	return o, err
}

// JailStatus returns one jail's status.
func (c *Client) JailStatus(ctx context.Context, jail string) (JailStatus, error) {
	var st JailStatus
	err := c.do(ctx, http.MethodGet, "/v1/jails/"+url.PathEscape(jail)+"/status", nil, &st)
	return st, err
}

// Ban bans ips in jail and returns how many were newly banned.
func (c *Client) Ban(ctx context.Context, jail string, ips []string) (int, error) {
	var r countReply
	err := c.do(ctx, http.MethodPost, "/v1/jails/"+url.PathEscape(jail)+"/ban", banRequest{IPs: ips}, &r)
	return r.Count, err
}

// Unban lifts the bans of ips, or all bans, in jail ("" for every jail),
// and returns how many were lifted.
func (c *Client) Unban(ctx context.Context, jail string, ips []string, all bool) (int, error) {
	var r countReply
	err := c.do(ctx, http.MethodPost, "/v1/unban", unbanRequest{Jail: jail, IPs: ips, All: all}, &r)
	return r.Count, err
}

// Banned returns each jail's banned addresses among ips (all when empty).
func (c *Client) Banned(ctx context.Context, ips []string) ([]JailBans, error) {
	var r bannedReply
	err := c.do(ctx, http.MethodPost, "/v1/banned", bannedRequest{IPs: ips}, &r)
	return r.Jails, err
}

// Reload reloads the configuration of jail ("" for all).
func (c *Client) Reload(ctx context.Context, jail string, unban bool) error {
	return c.do(ctx, http.MethodPost, "/v1/reload", reloadRequest{Jail: jail, Unban: unban}, nil)
}

// Get returns a jail setting.
func (c *Client) Get(ctx context.Context, jail, key string) (Value, error) {
	var r valueReply
	err := c.do(ctx, http.MethodGet, settingPath(jail, key), nil, &r)
	return r.Value, err
}

// Set changes a jail setting and returns its new value.
func (c *Client) Set(ctx context.Context, jail, key, value string) (Value, error) {
	var r valueReply
	err := c.do(ctx, http.MethodPut, settingPath(jail, key), setRequest{Value: value}, &r)
	return r.Value, err
}

// Stop asks the daemon to shut down.
func (c *Client) Stop(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/stop", nil, nil)
}

func settingPath(jail, key string) string {
	return "/v1/jails/" + url.PathEscape(jail) + "/settings/" + url.PathEscape(key)
}

// do sends one request and decodes the answer into out (when not nil).
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	} else if method != http.MethodGet {
		body = strings.NewReader("{}")
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://warden"+path, body)
	if err != nil {
		return fmt.Errorf("make request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		if notRunning(err) {
			return fmt.Errorf("%w: %s: %w", ErrNotRunning, c.Socket, err)
		}
		return fmt.Errorf("control socket %s: %w", c.Socket, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e errorReply
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			e.Error = fmt.Sprintf("%s: %s", resp.Status, strings.TrimSpace(string(b)))
		}
		return &Error{StatusCode: resp.StatusCode, Message: e.Error}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	return nil
}

// notRunning: the socket is missing or nobody listens on it.
func notRunning(err error) bool {
	return errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED)
}
