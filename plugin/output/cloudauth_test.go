package output

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/redpanda-data/benthos/v4/public/service"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/ferry-connect/ferry/internal/kafkatest"
)

// saslBroker makes a kfake cluster speak mechanism: it answers the
// handshake for it and hands every authentication payload to check, which
// says whether to accept it (answering reply). lifetime, when set, asks the client to log
// in again that often (KIP-368).
func saslBroker(t *testing.T, mechanism string, reply []byte, lifetime time.Duration, check func([]byte) error) *kfake.Cluster {
	t.Helper()
	c := kafkatest.Cluster(t, kfake.SeedTopics(1, "t"))
	c.ControlKey(int16(kmsg.SASLHandshake), func(r kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := r.(*kmsg.SASLHandshakeRequest)
		resp := req.ResponseKind().(*kmsg.SASLHandshakeResponse)
		resp.SupportedMechanisms = []string{mechanism}
		if req.Mechanism != mechanism {
			resp.ErrorCode = kerr.UnsupportedSaslMechanism.Code
		}
		return resp, nil, true
	})
	c.ControlKey(int16(kmsg.SASLAuthenticate), func(r kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		req := r.(*kmsg.SASLAuthenticateRequest)
		resp := req.ResponseKind().(*kmsg.SASLAuthenticateResponse)
		if err := check(req.SASLAuthBytes); err != nil {
			resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
			msg := err.Error()
			resp.ErrorMessage = &msg
			return resp, nil, true
		}
		resp.SASLAuthBytes = reply
		resp.SessionLifetimeMillis = lifetime.Milliseconds()
		return resp, nil, true
	})
	return c
}

// AWS_MSK_IAM with credentials from the standard chain (here the
// environment): the broker checks each login's signature with AWS's own
// SigV4 signer, so a payload Ferry signs wrongly is refused.
func TestMSKIAM(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAFERRYTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "ferry-secret")
	t.Setenv("AWS_SESSION_TOKEN", "ferry-session")
	t.Setenv("AWS_REGION", "eu-west-1")
	var mu sync.Mutex
	logins := 0
	c := saslBroker(t, "AWS_MSK_IAM", []byte(`{"version":"2020_10_22","request-id":"ferry-test"}`), 0, func(b []byte) error {
		mu.Lock()
		defer mu.Unlock()
		logins++
		return verifyMSKIAM(b, aws.Credentials{AccessKeyID: "AKIAFERRYTEST", SecretAccessKey: "ferry-secret", SessionToken: "ferry-session"}, "eu-west-1")
	})
	s := newTestSink(t, fmt.Sprintf("seed_brokers: [ %s ]\ntopic: t\nsasl:\n  - mechanism: AWS_MSK_IAM\n    aws: { region: eu-west-1 }\n", kafkatest.Brokers(c)))
	if failed, err := write(t, s, service.MessageBatch{msg("signed")}); err != nil || failed != nil {
		t.Fatalf("write: %v %v", failed, err)
	}
	if recs := kafkatest.ReadAll(t, c, "t"); len(recs) != 1 {
		t.Fatalf("read %d records, want 1", len(recs))
	}
	mu.Lock()
	defer mu.Unlock()
	if logins == 0 {
		t.Fatal("the client never logged in")
	}
}

// verifyMSKIAM checks an AWS_MSK_IAM payload as MSK does: its fields, and
// its signature recomputed with aws-sdk-go-v2's SigV4 presigner.
func verifyMSKIAM(payload []byte, creds aws.Credentials, region string) error {
	var p map[string]string
	if err := json.Unmarshal(payload, &p); err != nil {
		return fmt.Errorf("payload is not JSON: %v", err)
	}
	if p["version"] != "2020_10_22" || p["action"] != "kafka-cluster:Connect" || p["x-amz-algorithm"] != "AWS4-HMAC-SHA256" {
		return fmt.Errorf("payload fields %v", p)
	}
	at, err := time.Parse("20060102T150405Z", p["x-amz-date"])
	if err != nil {
		return err
	}
	q := url.Values{"Action": {"kafka-cluster:Connect"}, "X-Amz-Expires": {p["x-amz-expires"]}}
	req, _ := http.NewRequest(http.MethodGet, "https://"+p["host"]+"/?"+q.Encode(), nil)
	signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req,
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "kafka-cluster", region, at)
	if err != nil {
		return err
	}
	u, _ := url.Parse(signed)
	if want := u.Query().Get("X-Amz-Signature"); want == "" || p["x-amz-signature"] != want {
		return fmt.Errorf("signature %s, AWS's signer says %s", p["x-amz-signature"], want)
	}
	if u.Query().Get("X-Amz-Credential") != p["x-amz-credential"] || p["x-amz-security-token"] != creds.SessionToken {
		return fmt.Errorf("credential %s, want %s", p["x-amz-credential"], u.Query().Get("X-Amz-Credential"))
	}
	return nil
}

// OAUTHBEARER with tokens from an OIDC endpoint (client credentials): the
// broker asks for a login again every 200ms, each token lives 11s (so the
// client's cache, which renews 10s before expiry, fetches a new one every
// second), and over a long-running pipeline the broker sees fresh tokens,
// never an expired one, with the extensions beside them.
func TestOIDCTokenRefresh(t *testing.T) {
	var mu sync.Mutex
	issued := map[string]time.Time{} // token -> expiry
	seen := map[string]bool{}
	endpoint := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("grant_type") != "client_credentials" || r.Form.Get("scope") != "kafka" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if id, secret, ok := r.BasicAuth(); !ok || id != "ferry" || secret != "s3cret" {
			http.Error(w, "bad client", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		tok := fmt.Sprintf("token-%d", len(issued))
		issued[tok] = time.Now().Add(11 * time.Second)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"bearer","expires_in":11}`, tok)
	}))
	defer endpoint.Close()
	c := saslBroker(t, "OAUTHBEARER", nil, 200*time.Millisecond, func(b []byte) error {
		// n,,\x01auth=Bearer <token>\x01logicalCluster=lkc-1\x01\x01
		var tok string
		for _, kv := range strings.Split(string(b), "\x01") {
			if v, ok := strings.CutPrefix(kv, "auth=Bearer "); ok {
				tok = v
			}
		}
		mu.Lock()
		defer mu.Unlock()
		exp, ok := issued[tok]
		switch {
		case !ok:
			return fmt.Errorf("unknown token %q", tok)
		case time.Now().After(exp):
			return fmt.Errorf("expired token %q", tok)
		case !strings.Contains(string(b), "\x01logicalCluster=lkc-1\x01"):
			return fmt.Errorf("no extension in %q", b)
		}
		seen[tok] = true
		return nil
	})
	s := newTestSink(t, fmt.Sprintf(`seed_brokers: [ %s ]
topic: t
sasl:
  - mechanism: OAUTHBEARER
    extensions: { logicalCluster: lkc-1 }
    oidc:
      token_url: %s
      client_id: ferry
      client_secret: s3cret
      scopes: [ kafka ]
`, kafkatest.Brokers(c), endpoint.URL))
	for i := range 20 {
		if failed, err := write(t, s, service.MessageBatch{msg(fmt.Sprint(i))}); err != nil || failed != nil {
			t.Fatalf("write %d: %v %v", i, failed, err)
		}
		time.Sleep(150 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 2 {
		t.Fatalf("the broker saw %d distinct tokens over 3s of logins every 200ms, want fresh ones as they near expiry", len(seen))
	}
}
