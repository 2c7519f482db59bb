package pagetoken

import "testing"

func TestSealOpen(t *testing.T) {
	s := Sealer{Key: []byte("0123456789abcdef0123456789abcdef")}
	tok := s.Seal("ListTopics", "arn:aws:sns:us-east-1:111122223333:a")
	if p, ok := s.Open("ListTopics", tok); !ok || p != "arn:aws:sns:us-east-1:111122223333:a" {
		t.Fatalf("Open = %q, %v", p, ok)
	}
	for name, bad := range map[string]string{
		"other binding": tok, "tampered": "x" + tok, "no mac": "YWJj", "empty": "",
	} {
		binding := "ListTopics"
		if name == "other binding" {
			binding = "ListSubscriptions"
		}
		if _, ok := s.Open(binding, bad); ok {
			t.Errorf("%s: token accepted", name)
		}
	}
	if _, ok := (Sealer{Key: []byte("another key")}).Open("ListTopics", tok); ok {
		t.Error("token accepted under another key")
	}
}
