module zdp.dev/tools/gates

go 1.26

require github.com/antonmedv/expr v1.15.5
