package vocab

// instanceClassTable is the one table of instance classes, smallest first, with the copy
// workers each gives. InstanceClasses and InstanceClassWorkers are read from it.
var instanceClassTable = []struct {
	name    string
	workers int
}{
	{"small", 2}, {"medium", 4}, {"large", 8}, {"xlarge", 16}, {"2xlarge", 32},
}

// DefaultInstanceClass is used when a task names no instance class.
const DefaultInstanceClass = "medium"

// InstanceClasses lists every instance class, smallest first.
var InstanceClasses = func() []string {
	out := make([]string, len(instanceClassTable))
	for i, c := range instanceClassTable {
		out[i] = c.name
	}
	return out
}()

// InstanceClassWorkers maps each instance class to the copy workers it gives.
var InstanceClassWorkers = func() map[string]int {
	out := make(map[string]int, len(instanceClassTable))
	for _, c := range instanceClassTable {
		out[c.name] = c.workers
	}
	return out
}()
