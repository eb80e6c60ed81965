module thread.test/goimports

go 1.19
