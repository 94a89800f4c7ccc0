import Testing
@testable import VZBeancounters
