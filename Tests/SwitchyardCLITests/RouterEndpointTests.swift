import Testing
@testable import switchyard

/// Plain-text router-worker traffic stays on loopback unless `--listen` (or `SWITCHYARD_LISTEN`) says otherwise.
@Suite("Router worker endpoint")
struct RouterEndpointTests {
    @Test func withoutKeysTheRouterListensOnLoopback() {
        #expect(RouterCommand.workerEndpoint(listen: nil, encrypted: false) == "tcp://127.0.0.1:5555")
    }

    @Test func withKeysTheRouterListensOnAllInterfaces() {
        #expect(RouterCommand.workerEndpoint(listen: nil, encrypted: true) == "tcp://0.0.0.0:5555")
    }

    @Test func anExplicitListenWinsEitherWay() throws {
        #expect(RouterCommand.workerEndpoint(listen: "tcp://0.0.0.0:6000", encrypted: false) == "tcp://0.0.0.0:6000")
        #expect(RouterCommand.workerEndpoint(listen: "tcp://10.0.0.1:6000", encrypted: true) == "tcp://10.0.0.1:6000")
        let table = try CommandOptionTable.of(Switchyard.self)
        let merged = try EnvironmentArguments.merge(arguments: ["router", "--model", "/m"], environment: ["SWITCHYARD_LISTEN": "tcp://0.0.0.0:6000"], commands: table)
        let router = try #require(try Switchyard.parseAsRoot(merged.arguments) as? RouterCommand)
        #expect(router.listen == "tcp://0.0.0.0:6000")
    }
}
