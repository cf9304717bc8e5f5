package auth_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"yigong/conformance/corpus"
	"yigong/conformance/peer"
	"yigong/server"
	"yigong/server/auth/accounts"
	"yigong/server/auth/smart"
	"yigong/server/servertest"
)

// TestSMARTAppInChromium runs a real SMART client end to end: the npm
// fhirclient library (the SMART JavaScript client) in a page served from
// another origin, in headless Chromium, against the hub in SMART mode. The
// test drives the browser through the DevTools protocol as a person would:
// the app's standalone launch redirects to the hub's login page, where the
// user signs in, picks a patient on the consent page and allows; the app
// then exchanges the code (PKCE, CORS), reads the Patient in context,
// searches its Observations and is refused another patient's record.
func TestSMARTAppInChromium(t *testing.T) {
	t.Parallel()
	chromium := peer.Require(t, "chromium")
	lib := filepath.Join(corpus.NodeModules(t), "fhirclient", "build", "fhir-client.js")
	if _, err := os.Stat(lib); err != nil {
		corpus.Missing(t, "npm fhirclient (make node-packages)")
	}

	// The app, on its own origin.
	mux := http.NewServeMux()
	mux.HandleFunc("/fhir-client.js", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, lib) })
	mux.Handle("/", http.FileServer(http.Dir("testdata/smartapp")))
	app := httptest.NewServer(mux)
	t.Cleanup(app.Close)

	h := servertest.Start(t, servertest.SMART, func(c *server.Config) { c.Security.CORS = []string{app.URL} })
	key := h.AddBackend(t, "his", "default", "system/*.cruds")
	system := client{t, h, h.BackendToken(t, "his", key, "system/*.cruds")}
	for _, p := range []string{"p1", "p2"} {
		if st, _, out := system.do("PUT", "/fhir/Patient/"+p, `{"resourceType":"Patient","id":"`+p+`","name":[{"family":"王`+p+`"}]}`); st != 201 {
			t.Fatalf("create %s: %d %v", p, st, out)
		}
	}
	var want []string
	for _, p := range []string{"p1", "p1", "p2"} {
		st, _, out := system.do("POST", "/fhir/Observation", obs(p, "laboratory"))
		if st != 201 {
			t.Fatalf("create observation: %d %v", st, out)
		}
		if p == "p1" {
			want = append(want, "Observation/"+out["id"].(string))
		}
	}
	slices.Sort(want)
	h.AddUser(t, "doctor", "default", "Practitioner/d1", accounts.NoAdmin)
	grantRole(t, h, "doctor", allData("default")) // users reach FHIR data through roles
	if err := h.SMART().RegisterClient(context.Background(), &smart.Client{ID: "smartapp", Name: "fhirclient test app",
		Institution: "default", Type: smart.Public, RedirectURIs: []string{app.URL + "/index.html"},
		Scopes: "openid fhirUser launch/patient patient/*.rs"}); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	b := startChromium(ctx, t, chromium)
	if _, err := b.call("Page.navigate", map[string]any{"url": app.URL + "/launch.html?iss=" + h.BaseURL()}); err != nil {
		t.Fatal(err)
	}
	b.waitFor(ctx, `location.pathname == "/auth/login" && !!document.getElementById("login")`)
	b.eval(fmt.Sprintf(`document.getElementById("username").value = "doctor";
		document.getElementById("password").value = %q;
		document.getElementById("submit").click(); true`, servertest.TestPassword))
	b.waitFor(ctx, `location.pathname == "/auth/consent" && !!document.querySelector('input.patient[value="p1"]')`)
	b.eval(`document.querySelector('input.patient[value="p1"]').checked = true; document.getElementById("approve").click(); true`)
	b.waitFor(ctx, `!!document.getElementById("result") && document.getElementById("result").textContent != ""`)
	text, _ := b.eval(`document.getElementById("result").textContent`).(string)
	var got struct {
		Patient, Family, Scope, Other string
		Observations                  []string
	}
	if err := json.Unmarshal([]byte(text), &got); err != nil {
		t.Fatalf("the app reports %q", text)
	}
	if got.Patient != "p1" || got.Family != "王p1" || !slices.Equal(got.Observations, want) || got.Other != "403" {
		t.Fatalf("the app saw %+v, want patient p1 (王p1), observations %v and 403 for Patient/p2", got, want)
	}
	if !strings.Contains(got.Scope, "patient/*.rs") {
		t.Errorf("granted scope %q", got.Scope)
	}
}

// browser is a Chromium page driven over the DevTools protocol.
type browser struct {
	t  *testing.T
	ws *websocket.Conn
	id int
}

// startChromium starts headless Chromium with a fresh profile and attaches
// to its first page.
func startChromium(ctx context.Context, t *testing.T, bin string) *browser {
	t.Helper()
	profile := t.TempDir()
	// --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
	cmd := exec.CommandContext(ctx, bin, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--no-first-run", "--no-default-browser-check", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
		"--remote-allow-origins=*", "--user-data-dir="+profile, "about:blank")
	if err := cmd.Start(); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	var port string
	for port == "" { // Chromium writes the port it picked here
		if f, err := os.Open(filepath.Join(profile, "DevToolsActivePort")); err == nil {
			sc := bufio.NewScanner(f)
			if sc.Scan() {
				port = strings.TrimSpace(sc.Text())
			}
			f.Close()
		}
		if ctx.Err() != nil {
			t.Fatal("chromium did not open its DevTools port")
		}
		time.Sleep(50 * time.Millisecond)
	}
	var targets []struct {
		Type, WebSocketDebuggerURL string
	}
	for len(targets) == 0 {
		resp, err := http.Get("http://127.0.0.1:" + port + "/json/list")
		if err == nil {
			json.NewDecoder(resp.Body).Decode(&targets)
			resp.Body.Close()
		}
		targets = slices.DeleteFunc(targets, func(x struct{ Type, WebSocketDebuggerURL string }) bool { return x.Type != "page" })
		if ctx.Err() != nil {
			t.Fatal("chromium has no page")
		}
		if len(targets) == 0 {
			time.Sleep(50 * time.Millisecond)
		}
	}
	ws, err := websocket.Dial(targets[0].WebSocketDebuggerURL, "", "http://127.0.0.1/")
	if err != nil {
		t.Fatalf("devtools: %v", err)
	}
	t.Cleanup(func() { ws.Close() })
	return &browser{t: t, ws: ws}
}

// call sends one DevTools command and returns its result, skipping events.
func (b *browser) call(method string, params any) (json.RawMessage, error) {
	b.id++
	if err := websocket.JSON.Send(b.ws, map[string]any{"id": b.id, "method": method, "params": params}); err != nil {
		return nil, err
	}
	b.ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		var msg struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := websocket.JSON.Receive(b.ws, &msg); err != nil {
			return nil, err
		}
		if msg.ID != b.id {
			continue
		}
		if msg.Error != nil {
			return nil, fmt.Errorf("devtools %s: %s", method, msg.Error.Message)
		}
		return msg.Result, nil
	}
}

// eval evaluates a JavaScript expression in the page and returns its value.
func (b *browser) eval(expr string) any {
	b.t.Helper()
	raw, err := b.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true})
	if err != nil {
		b.t.Fatal(err)
	}
	var res struct {
		Result struct {
			Value any `json:"value"`
		} `json:"result"`
		ExceptionDetails any `json:"exceptionDetails"`
	}
	json.Unmarshal(raw, &res)
	if res.ExceptionDetails != nil { // e.g. the page is between two documents
		return nil
	}
	return res.Result.Value
}

// waitFor polls cond (a JavaScript expression) until it is true.
func (b *browser) waitFor(ctx context.Context, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second) // well before ctx kills the browser
	for {
		if v, _ := b.eval(cond).(bool); v {
			return
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			where, _ := b.eval(`location.href + "\n" + document.body.innerText`).(string)
			b.t.Fatalf("waiting for %s: the page is at %s", cond, where)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
