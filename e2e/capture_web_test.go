package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The web captures: real nginx and Apache httpd in the lab's server
// namespace, with HTTP basic (and, for httpd, digest) authentication, a
// few static pages, and WordPress's and Drupal's login pages served by a
// stand-in application behind the server. The attacker guesses passwords,
// scans for well-known exploit paths and fails logins; the legitimate
// client logs in and browses. The servers' own log files are checked
// against the built-in filters and fail2ban's stock ones and become the
// samples.

const (
	webUser, webPassword = "alice", "correct-horse-battery"
	webRealm             = "Private Area"
)

// startWebApp serves, on a unix socket in dir that the web server
// proxies to, the answers WordPress and Drupal give to logins: a failed
// login gets the form again (200), a good one a redirect (WordPress 302
// to the dashboard, Drupal 8+ 303 to the account); XML-RPC calls get a
// fault inside a 200, as WordPress answers a wrong password there.
func startWebApp(t *testing.T, dir string) string {
	t.Helper()
	sock := filepath.Join(dir, "app.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sock, 0o666); err != nil {
		t.Fatal(err)
	}
	form := func(w http.ResponseWriter, msg string) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, "<html><body>%s<form method=post><input name=user><input name=pass type=password></form></body></html>\n", msg)
	}
	mux := http.NewServeMux()
	// login answers a good POST with a redirect (code), a bad one with the
	// form and msg (200), as WordPress and Drupal do.
	login := func(userField, passField, next string, code int, msg string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && r.FormValue(userField) == webUser && r.FormValue(passField) == webPassword {
				http.Redirect(w, r, next, code)
				return
			}
			if r.Method == http.MethodPost {
				form(w, msg)
				return
			}
			form(w, "")
		}
	}
	mux.HandleFunc("/wp-login.php", login("log", "pwd", "/wp-admin/", http.StatusFound,
		"<div id=login_error>Error: the password you entered for the username is incorrect.</div>"))
	mux.HandleFunc("/xmlrpc.php", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "XML-RPC server accepts POST requests only.", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<?xml version="1.0"?><methodResponse><fault><value><struct><member><name>faultCode</name><value><int>403</int></value></member><member><name>faultString</name><value><string>Incorrect username or password.</string></value></member></struct></value></fault></methodResponse>`+"\n")
	})
	mux.HandleFunc("/wp-admin/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "Dashboard") })
	mux.HandleFunc("/user/login", login("name", "pass", "/user/1", http.StatusSeeOther, "Unrecognized username or password."))
	mux.HandleFunc("/user/1", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, webUser) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return sock
}

// webDirs makes the lab's directory traversable by the web server's
// workers (www-data) and writes the document root and the password file.
func webDirs(t *testing.T, l *lab) (www, htpasswd string) {
	t.Helper()
	for _, d := range []string{filepath.Dir(l.dir), l.dir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	www = filepath.Join(l.dir, "www")
	for name, text := range map[string]string{
		"index.html":         "<html><body>Welcome</body></html>\n",
		"about.html":         "<html><body>About us</body></html>\n",
		"private/index.html": "<html><body>Members only</body></html>\n",
		"digest/index.html":  "<html><body>Members only (digest)</body></html>\n",
		"denied/index.html":  "<html><body>Nobody</body></html>\n",
	} {
		p := filepath.Join(www, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	htpasswd = filepath.Join(l.dir, "htpasswd")
	run(t, "htpasswd", "-bc", htpasswd, webUser, webPassword)
	if err := os.Chmod(htpasswd, 0o644); err != nil {
		t.Fatal(err)
	}
	return www, htpasswd
}

// webClient runs curl from a namespace against the lab's server and
// returns the HTTP status.
func webClient(t *testing.T, ns *netns, args ...string) string {
	t.Helper()
	argv := append([]string{"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5"}, args...)
	out, err := ns.exec(t, 10*time.Second, argv...)
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return strings.TrimSpace(out)
}

// wantStatus runs a request and checks the answer code, so that a wrong
// stand-in shows as what it is rather than as a filter mismatch.
func wantStatus(t *testing.T, ns *netns, want string, args ...string) {
	t.Helper()
	if got := webClient(t, ns, args...); got != want {
		t.Errorf("curl %s: status %s, want %s", strings.Join(args, " "), got, want)
	}
}

// Scanner paths: stockScan are in fail2ban's botsearch list and Warden's;
// wardenScan only in Warden's (botsearch-common.conf's secrets and
// exploits).
var (
	stockScan  = []string{"/phpmyadmin/", "//phpMyAdmin/scripts/setup.php", "/pma/index.php", "/cgi-bin/test.cgi", "/webmail/", "/mysqladmin/", "/wp-signup.php"}
	wardenScan = []string{"/.env", "/.git/config", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", "/HNAP1/"}
)

var wardenScanRE = regexp.MustCompile(`/(?:\.env|\.git/|vendor/phpunit/|HNAP1/)`)

// User-Agents of bad bots: stockBots are in fail2ban's apache-badbots list
// and Warden's, wardenBots in Warden's only.
var (
	stockBots  = []string{"EmailSiphon", "TrackBack/1.02"}
	wardenBots = []string{"Mozilla/5.0 zgrab/0.x", "sqlmap/1.7.2#stable (https://sqlmap.org)"}
)

// wardenBot tells whether an access-log line is of a wardenBots client.
func wardenBot(ln string) bool {
	for _, ua := range wardenBots {
		if strings.HasSuffix(ln, `"`+ua+`"`) {
			return true
		}
	}
	return false
}

// webTraffic is what both servers get: the attacker's guesses, scans and
// failed logins, and the legitimate client's visit.
func webTraffic(t *testing.T, l *lab) {
	t.Helper()
	base := "http://" + labSrv4
	a, g := l.attacker, l.legit
	// HTTP basic authentication: wrong passwords, unknown users.
	wantStatus(t, a, "401", "-u", webUser+":wrong-1", base+"/private/")
	wantStatus(t, a, "401", "-u", webUser+":wrong-2", base+"/private/")
	wantStatus(t, a, "401", "-u", "mallory:guess", base+"/private/")
	wantStatus(t, a, "401", "-u", "admin:admin", base+"/private/")
	// Scanners.
	for _, p := range stockScan {
		wantStatus(t, a, "404", base+p)
	}
	for _, p := range wardenScan {
		wantStatus(t, a, "404", base+p)
	}
	// WordPress and Drupal: failed logins, XML-RPC calls.
	for _, pw := range []string{"123456", "password", "qwerty"} {
		wantStatus(t, a, "200", "-d", "log="+webUser+"&pwd="+pw+"&wp-submit=Log+In", base+"/wp-login.php")
		wantStatus(t, a, "200", "-d", "name="+webUser+"&pass="+pw+"&form_id=user_login_form", base+"/user/login")
	}
	for i := 0; i < 2; i++ {
		wantStatus(t, a, "200", "-H", "Content-Type: text/xml", "--data-binary",
			"<?xml version=\"1.0\"?><methodCall><methodName>wp.getUsersBlogs</methodName><params><param><value>admin</value></param><param><value>admin</value></param></params></methodCall>",
			base+"/xmlrpc.php")
	}

	// Bad bots: harvesters (in fail2ban's list and Warden's), scanners
	// (Warden's only).
	for _, ua := range append(append([]string{}, stockBots...), wardenBots...) {
		wantStatus(t, a, "200", "-A", ua, base+"/")
	}

	// The legitimate client: pages, a missing one, its logins.
	wantStatus(t, g, "200", base+"/")
	wantStatus(t, g, "200", base+"/about.html")
	wantStatus(t, g, "404", base+"/favicon.ico")
	wantStatus(t, g, "404", base+"/blog/old-post.html")
	wantStatus(t, g, "200", "-u", webUser+":"+webPassword, base+"/private/")
	wantStatus(t, g, "200", base+"/wp-login.php")
	wantStatus(t, g, "302", "-d", "log="+webUser+"&pwd="+webPassword+"&wp-submit=Log+In", base+"/wp-login.php")
	wantStatus(t, g, "200", base+"/wp-admin/")
	wantStatus(t, g, "200", base+"/user/login")
	wantStatus(t, g, "303", "-d", "name="+webUser+"&pass="+webPassword+"&form_id=user_login_form", base+"/user/login")
	wantStatus(t, g, "200", base+"/user/1")
}

// splitLines parts lines into those extra matches and the rest.
func splitLines(lines []string, extra func(string) bool) (main, more []string) {
	for _, ln := range lines {
		if extra(ln) {
			more = append(more, ln)
		} else {
			main = append(main, ln)
		}
	}
	return main, more
}

// writeCaptured rewrites, when -update-samples is given, the part of
// testdata/samples/NAME-warden that the capture test owns: the lines
// between "# ---- captured by TEST: ..." and "# ---- end of capture by
// TEST ----" (put at the top of the file when the file has none), with
// the failJSON expectations of what the built-in filter ref finds.
// Lines written by hand elsewhere in the file stay.
func writeCaptured(t *testing.T, name, test, ref, source string, lines []string) {
	t.Helper()
	if !*updateSamples {
		return
	}
	if t.Failed() {
		t.Fatalf("not rewriting the %s-warden sample: the test failed", name)
	}
	begin := "# ---- captured by " + test + ": "
	end := "# ---- end of capture by " + test + " ----"
	now := time.Now().UTC().Truncate(time.Second)
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s (go test ./e2e -run %s -update-samples) ----\n", begin, source, test)
	b.WriteString(annotate(t, ref, now, lines))
	b.WriteString(end + "\n")
	path := filepath.Join("..", "testdata", "samples", name+"-warden")
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	text := string(old)
	if i := strings.Index(text, begin); i >= 0 {
		j := strings.Index(text[i:], end+"\n")
		if j < 0 {
			t.Fatalf("%s: %q without %q", path, begin, end)
		}
		text = text[:i] + b.String() + text[i+j+len(end)+1:]
	} else {
		// At the top, before any filterOptions section of the file.
		text = b.String() + "\n" + text
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote the capture of %s in %s (%d lines): review the diff", test, path, len(lines))
}

// startNginx starts nginx in the lab's server namespace, serving on port
// 80 of the server's addresses (and 443 over TLS, on IPv4): static pages,
// /private/ behind auth_basic and the login stand-ins behind proxy_pass. It returns the paths of its
// error and access logs.
func startNginx(t *testing.T, l *lab) (errLog, accLog string) {
	t.Helper()
	needRootAndTools(t, "nginx", "curl", "htpasswd", "mount")
	www, htpasswd := webDirs(t, l)
	app := startWebApp(t, l.dir)
	if err := os.Mkdir(filepath.Join(l.dir, "nginx-tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	// The daemon sees the lab's directory as /srv and the document root
	// as /var/www, so that its log lines name no temporary directory.
	in := func(name string) string { return filepath.Join(labMount, name) }
	tmp, app := in("nginx-tmp"), in(filepath.Base(app))
	writeSelfSigned(t, labHost, filepath.Join(l.dir, "tls.crt"), filepath.Join(l.dir, "tls.key"))
	conf := `user root;
worker_processes 1;
pid ` + in("nginx.pid") + `;
error_log ` + in("nginx-error.log") + `;
events { worker_connections 64; }
http {
	access_log ` + in("nginx-access.log") + ` combined;
	client_body_temp_path ` + tmp + `/body;
	proxy_temp_path ` + tmp + `/proxy;
	fastcgi_temp_path ` + tmp + `/fastcgi;
	uwsgi_temp_path ` + tmp + `/uwsgi;
	scgi_temp_path ` + tmp + `/scgi;
	server {
		listen ` + labSrv4 + `:80;
		listen [` + labSrv6 + `]:80;
		listen ` + labSrv4 + `:443 ssl;
		ssl_certificate ` + in("tls.crt") + `;
		ssl_certificate_key ` + in("tls.key") + `;
		server_name ` + labHost + `;
		root /var/www;
		location /private/ {
			auth_basic "` + webRealm + `";
			auth_basic_user_file ` + in(filepath.Base(htpasswd)) + `;
		}
		# WordPress and Drupal (the stand-in application)
		location ~ ^/(?:wp-login\.php|xmlrpc\.php|wp-admin/|user/) {
			proxy_pass http://unix:` + app + `;
			proxy_set_header Host $host;
		}
	}
}
`
	cfg := filepath.Join(l.dir, "nginx.conf")
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	p := l.start(t, "nginx", labMounted(l.dir, www, "nginx", "-e", in("nginx-error.log"), "-p", labMount+"/", "-c", in("nginx.conf"), "-g", "daemon off;"))
	l.waitPort(t, p, 80)
	return filepath.Join(l.dir, "nginx-error.log"), filepath.Join(l.dir, "nginx-access.log")

}

// TestCaptureNginx: nginx 1.22 (Debian 12) with auth_basic, static pages
// and the login stand-ins behind proxy_pass. Samples: nginx-http-auth
// (error log), nginx-botsearch (access and error log), wordpress (access
// log); drupal-auth-warden (access log).
func TestCaptureNginx(t *testing.T) {
	needRootAndTools(t, "nginx", "curl", "htpasswd", "go", "mount")
	bin := buildWarden(t)
	l := newLab(t)
	errLog, accLog := startNginx(t, l)

	webTraffic(t, l)
	// An HTTP/1.0 client without a Host header: nginx's line has no host
	// part, which fail2ban's nginx-http-auth requires.
	wantStatus(t, l.attacker, "401", "-0", "-H", "Host:", "-u", "eve:secret", "http://"+labSrv4+"/private/")

	// A TLS record longer than TLS allows, as clients probing for
	// TLS_FALLBACK_SCSV send (nginx-http-auth's fallback mode).
	badTLSRecord(t, l.attacker, labSrv4+":443")

	nScan := len(stockScan) + len(wardenScan)
	errLines := waitLog(t, "nginx's error log", func() []string { return readLines(t, errLog) }, func(ls []string) bool {
		all := strings.Join(ls, "\n")
		return strings.Contains(all, `user "eve"`) && strings.Contains(all, "SSL_do_handshake() failed")
	})
	accLines := waitLog(t, "nginx's access log", func() []string { return readLines(t, accLog) }, func(ls []string) bool {
		return strings.Contains(strings.Join(ls, "\n"), `"GET /user/1 `)
	})

	// nginx-http-auth: 4 guesses and the Host-less one.
	checkTruth(t, "nginx-http-auth", errLines, map[string]int{labAttacker4: 5})
	noHost := func(ln string) bool { return strings.Contains(ln, `HTTP/1.0"`) && !strings.Contains(ln, `host: "`) }
	authMain, authMore := splitLines(errLines, noHost)
	agreeWithStock(t, bin, writeLog(t, l.dir, "nginx-http-auth.log", authMain), "nginx-http-auth", "nginx-http-auth")
	// In aggressive mode, the TLS record is one more.
	checkTruth(t, "nginx-http-auth[mode=aggressive]", errLines, map[string]int{labAttacker4: 6})
	agreeWithStock(t, bin, writeLog(t, l.dir, "nginx-http-auth.log", authMain), "nginx-http-auth[mode=aggressive]", "nginx-http-auth[mode=aggressive]")

	// nginx-botsearch: every scan is a 404 in the access log and a failed
	// open() in the error log.
	scanLines := append(append([]string{}, accLines...), errLines...)
	checkTruth(t, "nginx-botsearch", scanLines, map[string]int{labAttacker4: 2 * nScan})
	scanMain, scanMore := splitLines(scanLines, wardenScanRE.MatchString)
	agreeWithStock(t, bin, writeLog(t, l.dir, "nginx-botsearch.log", scanMain), "nginx-botsearch", "nginx-botsearch")

	// wordpress: 3 failed logins, 2 XML-RPC calls; drupal-auth: 3.
	checkTruth(t, "wordpress", accLines, map[string]int{labAttacker4: 5})
	checkTruth(t, "drupal-auth", accLines, map[string]int{labAttacker4: 3})
	// apache-badbots reads nginx's access log as well.
	checkTruth(t, "apache-badbots", accLines, map[string]int{labAttacker4: len(stockBots) + len(wardenBots)})

	src := "nginx 1.22.1-9+deb12u11 (Debian 12) in a network namespace, captured by go test ./e2e -run TestCaptureNginx -update-samples"
	writeCaptured(t, "nginx-http-auth", "TestCaptureNginx", "nginx-http-auth", "what only Warden finds: nginx 1.22.1's line for an HTTP/1.0 client without a Host header", authMore)
	writeCaptured(t, "nginx-botsearch", "TestCaptureNginx", "nginx-botsearch", "what only Warden finds: nginx 1.22.1, the scanner paths Warden adds", scanMore)
	writeCaptured(t, "drupal-auth", "TestCaptureNginx", "drupal-auth", "what only Warden finds: nginx 1.22.1's access log", accLines)
	writeSample(t, "nginx-http-auth", "nginx-http-auth", src, "nginx-http-auth", authMain)
	writeSample(t, "nginx-botsearch", "nginx-botsearch", src, "nginx-botsearch", scanMain)
	writeSample(t, "wordpress", "wordpress", src, "", accLines)
}

// TestCaptureApache: Apache httpd 2.4 (Debian 12), mpm_event, with
// basic and digest authentication, a forbidden folder, two TLS hosts,
// static pages under /var/www (bound in the daemon's mount namespace, so
// that the error log names the paths fail2ban's apache-botsearch expects;
// core at LogLevel info writes its "File does not exist") and the login
// stand-ins behind mod_proxy. Samples: apache-auth and apache-botsearch (error log),
// apache-badbots (access log); apache-botsearch-warden, wordpress-warden,
// drupal-auth-warden (access log).
func TestCaptureApache(t *testing.T) {
	needRootAndTools(t, "apache2", "curl", "htpasswd", "htdigest", "go", "mount")
	bin := buildWarden(t)
	l := newLab(t)
	www, htpasswd := webDirs(t, l)
	app := startWebApp(t, l.dir)
	htdigest := filepath.Join(l.dir, "htdigest")
	// htdigest asks for the password twice on its terminal or stdin.
	if out, err := runWithStdin(webPassword+"\n"+webPassword+"\n", "htdigest", "-c", htdigest, webRealm, webUser); err != nil {
		t.Fatalf("htdigest: %v\n%s", err, out)
	}
	if err := os.Chmod(htdigest, 0o644); err != nil {
		t.Fatal(err)
	}
	const otherHost = "other.example"
	writeSelfSigned(t, labHost, filepath.Join(l.dir, "tls.crt"), filepath.Join(l.dir, "tls.key"))
	writeSelfSigned(t, otherHost, filepath.Join(l.dir, "other.crt"), filepath.Join(l.dir, "other.key"))
	errLog, accLog := filepath.Join(l.dir, "apache-error.log"), filepath.Join(l.dir, "apache-access.log")
	// As for nginx: the lab's directory is /srv, the document root /var/www.
	in := func(name string) string { return filepath.Join(labMount, name) }
	app = in(filepath.Base(app))
	mods := "/usr/lib/apache2/modules"
	var conf strings.Builder
	conf.WriteString(`ServerRoot ` + labMount + `
ServerName ` + labHost + `
PidFile ` + in("apache.pid") + `
DefaultRuntimeDir ` + labMount + `
Mutex file:` + labMount + ` default
Listen ` + labSrv4 + `:80
Listen [` + labSrv6 + `]:80
User www-data
Group www-data
`)
	for _, m := range []string{"mpm_event", "authn_core", "authn_file", "authz_core", "authz_user", "auth_basic", "auth_digest", "dir", "mime", "proxy", "proxy_http", "socache_shmcb", "ssl"} {
		fmt.Fprintf(&conf, "LoadModule %s_module %s/mod_%s.so\n", m, mods, m)
	}
	conf.WriteString(`TypesConfig /etc/mime.types
ErrorLog ` + in(filepath.Base(errLog)) + `
LogLevel warn core:info
LogFormat "%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"" combined
CustomLog ` + in(filepath.Base(accLog)) + ` combined
DocumentRoot /var/www
DirectoryIndex index.html
<Directory />
	AllowOverride None
	Require all denied
</Directory>
<Directory /var/www>
	Require all granted
</Directory>
<Location /private/>
	AuthType Basic
	AuthName "` + webRealm + `"
	AuthBasicProvider file
	AuthUserFile ` + in(filepath.Base(htpasswd)) + `
	Require valid-user
</Location>
<Location /digest/>
	AuthType Digest
	AuthName "` + webRealm + `"
	AuthDigestProvider file
	AuthUserFile ` + in(filepath.Base(htdigest)) + `
	Require valid-user
</Location>
<Location /denied/>
	Require all denied
</Location>
# TLS: two name-based hosts whose TLS setups differ, so that a client
# cannot ask one for the other's pages.
Listen ` + labSrv4 + `:443
<VirtualHost ` + labSrv4 + `:443>
	ServerName ` + labHost + `
	SSLEngine on
	SSLCertificateFile ` + in("tls.crt") + `
	SSLCertificateKeyFile ` + in("tls.key") + `
</VirtualHost>
<VirtualHost ` + labSrv4 + `:443>
	ServerName ` + otherHost + `
	SSLEngine on
	SSLCertificateFile ` + in("other.crt") + `
	SSLCertificateKeyFile ` + in("other.key") + `
	SSLVerifyClient optional_no_ca
</VirtualHost>
# WordPress and Drupal (the stand-in application)
`)
	for _, p := range []string{"/wp-login.php", "/xmlrpc.php", "/wp-admin/", "/user/"} {
		fmt.Fprintf(&conf, "ProxyPass %s unix:%s|http://%s%s\n", p, app, labHost, p)
	}
	cfg := filepath.Join(l.dir, "apache2.conf")
	if err := os.WriteFile(cfg, []byte(conf.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	p := l.start(t, "apache2", labMounted(l.dir, www, "apache2", "-DFOREGROUND", "-f", in("apache2.conf")))
	l.waitPort(t, p, 80)

	webTraffic(t, l)
	base := "http://" + labSrv4
	a, g := l.attacker, l.legit
	// Digest authentication: a wrong password, an unknown user, a realm
	// and an algorithm the server does not have, a header without qop;
	// and a digest header where basic is wanted; a forbidden folder.
	wantStatus(t, a, "401", "--digest", "-u", webUser+":wrong-3", base+"/digest/")
	wantStatus(t, a, "401", "--digest", "-u", "mallory:guess", base+"/digest/")
	nonce := digestNonce(t, a, base+"/digest/")
	forged := `Authorization: Digest username="` + webUser + `", uri="/digest/", nonce="` + nonce + `", response="0123456789abcdef0123456789abcdef"`
	wantStatus(t, a, "401", "-H", forged+`, realm="Other Realm", qop=auth, nc=00000001, cnonce="0a1b2c3d"`, base+"/digest/")
	wantStatus(t, a, "401", "-H", forged+`, realm="`+webRealm+`", algorithm=SHA-999, qop=auth, nc=00000001, cnonce="0a1b2c3d"`, base+"/digest/")
	wantStatus(t, a, "401", "-H", forged+`, realm="`+webRealm+`"`, base+"/digest/")
	wantStatus(t, a, "401", "-H", `Authorization: Digest username="`+webUser+`"`, base+"/private/")
	wantStatus(t, a, "403", base+"/denied/")
	// TLS to one host, asking for the other (mod_ssl's AH02032).
	tlsTo := []string{"-k", "--resolve", labHost + ":443:" + labSrv4, "https://" + labHost + "/"}
	wantStatus(t, a, "421", append([]string{"-H", "Host: " + otherHost}, tlsTo...)...)
	wantStatus(t, g, "200", tlsTo...)
	wantStatus(t, g, "200", "--digest", "-u", webUser+":"+webPassword, base+"/digest/")

	errLines := waitLog(t, "httpd's error log", func() []string { return readLines(t, errLog) }, func(ls []string) bool {
		return strings.Contains(strings.Join(ls, "\n"), " AH02032: ")
	})
	accLines := waitLog(t, "httpd's access log", func() []string { return readLines(t, accLog) }, func(ls []string) bool {
		return strings.Contains(strings.Join(ls, "\n"), `"GET /digest/ HTTP/1.1" 200`)
	})

	// apache-auth: 4 basic guesses, 2 digest guesses, realm, algorithm,
	// no qop (httpd 2.4.64+, not in fail2ban's filter), wrong scheme,
	// forbidden folder, TLS host mismatch.
	checkTruth(t, "apache-auth", errLines, map[string]int{labAttacker4: 12})
	newQop := func(ln string) bool { return strings.Contains(ln, " AH10560: ") }
	authMain, authMore := splitLines(errLines, newQop)
	agreeWithStock(t, bin, writeLog(t, l.dir, "apache-auth.log", authMain), "apache-auth", "apache-auth")

	// apache-botsearch: every scan in the error log (core at info) and
	// as a 404 in the access log.
	nScan := len(stockScan) + len(wardenScan)
	checkTruth(t, "apache-botsearch", errLines, map[string]int{labAttacker4: nScan})
	checkTruth(t, "apache-botsearch", accLines, map[string]int{labAttacker4: nScan})
	scanMain, scanMore := splitLines(errLines, wardenScanRE.MatchString)
	agreeWithStock(t, bin, writeLog(t, l.dir, "apache-botsearch.log", scanMain), "apache-botsearch", "apache-botsearch")

	checkTruth(t, "wordpress", accLines, map[string]int{labAttacker4: 5})
	checkTruth(t, "drupal-auth", accLines, map[string]int{labAttacker4: 3})

	// apache-badbots: one failure per bad bot's request.
	checkTruth(t, "apache-badbots", accLines, map[string]int{labAttacker4: len(stockBots) + len(wardenBots)})
	botMain, botMore := splitLines(accLines, wardenBot)
	agreeWithStock(t, bin, writeLog(t, l.dir, "apache-badbots.log", botMain), "apache-badbots", "apache-badbots")

	src := "Apache httpd 2.4.71-1~deb12u1 (Debian 12) in a network namespace, captured by go test ./e2e -run TestCaptureApache -update-samples"
	writeCaptured(t, "apache-auth", "TestCaptureApache", "apache-auth", "what only Warden finds: httpd 2.4.71's AH10560 for a digest header without qop", authMore)
	writeCaptured(t, "apache-botsearch", "TestCaptureApache", "apache-botsearch", "what only Warden finds: httpd 2.4.71, the scanner paths Warden adds in the error log, and the access log", append(scanMore, accLines...))
	writeCaptured(t, "wordpress", "TestCaptureApache", "wordpress", "httpd 2.4.71's access log", accLines)
	writeCaptured(t, "drupal-auth", "TestCaptureApache", "drupal-auth", "what only Warden finds: httpd 2.4.71's access log", accLines)
	writeCaptured(t, "apache-badbots", "TestCaptureApache", "apache-badbots", "what only Warden finds: the scanners Warden adds, in httpd 2.4.71's access log", botMore)
	writeSample(t, "apache-badbots", "apache-badbots", src, "apache-badbots", botMain)
	writeSample(t, "apache-auth", "apache-auth", src, "apache-auth", authMain)
	writeSample(t, "apache-botsearch", "apache-botsearch", src, "apache-botsearch", scanMain)
}

// writeSelfSigned writes a self-signed certificate for a server name and
// its key, PEM-encoded.
func writeSelfSigned(t *testing.T, name, certPath, keyPath string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: name},
		DNSNames:     []string{name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// badTLSRecord opens a connection from ns to addr and sends the header of
// a TLS handshake record announcing 65535 bytes, more than TLS allows,
// and waits for the server's alert.
func badTLSRecord(t *testing.T, ns *netns, addr string) {
	t.Helper()
	ns.do(t, func() {
		c, err := net.DialTimeout("tcp", addr, 3*time.Second)
		if err != nil {
			t.Errorf("connect %s: %v", addr, err)
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(3 * time.Second))
		if _, err := c.Write(append([]byte{0x16, 0x03, 0x01, 0xff, 0xff}, make([]byte, 200)...)); err != nil {
			t.Errorf("write to %s: %v", addr, err)
			return
		}
		_, _ = c.Read(make([]byte, 64))
	})
}

// labMount is where a web server sees the lab's directory.
const labMount = "/srv"

// labMounted is the command line that runs argv with the lab's directory
// bound at /srv and the document root www at /var/www, in the daemon's
// mount namespace only (l.start gives it one of its own).
func labMounted(dir, www string, argv ...string) []string {
	script := `mount --bind "$1" ` + labMount + ` && mount --bind "$2" /var/www && shift 2 && exec "$@"`
	return append([]string{"sh", "-c", script, "sh", dir, www}, argv...)
}

// digestNonce asks url for a digest challenge and returns its nonce.
func digestNonce(t *testing.T, ns *netns, url string) string {
	t.Helper()
	out, err := ns.exec(t, 10*time.Second, "curl", "-sS", "-o", "/dev/null", "-D", "-", "--max-time", "5", url)
	if err != nil {
		t.Fatalf("curl %s: %v\n%s", url, err, out)
	}
	m := regexp.MustCompile(`(?i)www-authenticate: Digest .*nonce="([^"]+)"`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no digest challenge from %s:\n%s", url, out)
	}
	return m[1]
}

// runWithStdin runs a program with input on its standard input.
func runWithStdin(input string, args ...string) (string, error) {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin = strings.NewReader(input)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
