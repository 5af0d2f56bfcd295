package main

import (
	"reflect"
	"testing"
)

// Only what is used is followed: ListAllDomains is declared but not used.
func TestCFunctions(t *testing.T) {
	pkg := &listed{Dir: "testdata/bindings", CgoFiles: []string{"bindings.go"}}
	got, err := cFunctions(pkg, map[string]bool{"Connect.LookupDomainByName": true, "Domain.Create": true, "NewConnect": true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"virConnectOpenAuthDefault", "virDomainCreate", "virDomainFree", "virDomainLookupByName", "virResetError"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cFunctions = %v, want %v", got, want)
	}
	if _, err := cFunctions(pkg, map[string]bool{"Connect.Missing": true}); err == nil {
		t.Error("a used function that the bindings do not declare is not an error")
	}
}
