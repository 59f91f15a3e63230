module github.com/wardenipd/warden

go 1.26.8

require (
	github.com/dlclark/regexp2/v2 v2.13.0
	go.uber.org/goleak v1.3.0
	golang.org/x/text v0.44.0
)
