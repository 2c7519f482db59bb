package awserr_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/deploytrail/deploytrail/internal/awserr"
)

func TestPublic(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantCode   string
		wantStatus int
	}{
		{"client error", awserr.New("NoSuchEntity", "x"), "NoSuchEntity", http.StatusBadRequest},
		{"wrapped client error", fmt.Errorf("load: %w", awserr.New("NoSuchEntity", "x")), "NoSuchEntity", http.StatusBadRequest},
		{"internal error hides text", errors.New("open /secret/path: denied"), awserr.CodeInternalFailure, http.StatusInternalServerError},
		{"custom status", awserr.New("NoSuchEntity", "x").WithStatus(404), "NoSuchEntity", 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := awserr.Public(tt.err)
			if got.Code != tt.wantCode || got.HTTPStatus() != tt.wantStatus {
				t.Fatalf("Public=%v/%d, want %v/%d", got.Code, got.HTTPStatus(), tt.wantCode, tt.wantStatus)
			}
			if got.Code == awserr.CodeInternalFailure && got.Message != awserr.Internal.Message {
				t.Fatalf("Message=%q leaks internal text", got.Message)
			}
		})
	}
	if awserr.Code(nil) != "" {
		t.Fatalf("Code(nil)=%q, want empty", awserr.Code(nil))
	}
}

func TestCut(t *testing.T) {
	if got := awserr.Cut("short", 256); got != "short" {
		t.Fatalf("Cut(short)=%q", got)
	}
	if got := awserr.Cut("abcé", 4); got != "abc..." { // never splits a rune
		t.Fatalf("Cut=%q, want abc...", got)
	}
}
