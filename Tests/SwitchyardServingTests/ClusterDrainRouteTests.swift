import Foundation
import Testing
import TestSupport
@testable import SwitchyardServing

/// `POST /v1/cluster/workers/{id}/drain` outside a cluster and behind the API key. (With a cluster:
/// the process test in IntegrationTests drains a worker through it.)
@Suite("Admin drain route")
struct ClusterDrainRouteTests {
    @Test func needsTheAPIKeyAndAnswers404WithoutACluster() async throws {
        let server = try await ServingHarness.start(apiKey: "sekret")
        let denied = try await server.send("POST", "/v1/cluster/workers/w1/drain", body: nil)
        #expect(denied.status == 401)
        let noCluster = try await server.send("POST", "/v1/cluster/workers/w1/drain", body: nil, headers: ["Authorization": "Bearer sekret"])
        #expect(noCluster.status == 404)
        #expect(((try noCluster.json()["error"] as? [String: Any])?["message"] as? String)?.contains("no cluster") == true)
        await server.stop()
    }
}
