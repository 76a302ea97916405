import Hummingbird
import Logging
import SwitchyardModel
import SwitchyardTokenizer

/// One serving process, wired: metrics (with the engine's expert traffic and the cluster's series),
/// the engine service, the request context and the HTTP application. `serve`, `router` and the
/// tests build their servers here, so they run the same wiring.
public struct ServingServer: Sendable {
    public let service: EngineService
    public let context: ServingContext

    public var engine: Engine { service.engine }
    public var metrics: ServingMetrics { service.metrics }

    /// - Parameters:
    ///   - engine: the model, its experts local (`serve`) or on workers (`router`).
    ///   - http: address, model name, API key and HTTP limits.
    ///   - cluster: the worker side when experts run remotely; its series join `/metrics`.
    public init(engine: Engine, limits: SchedulerLimits, shutdownGrace: Duration = .seconds(30), http: ServingConfiguration,
                tokenizer: (any ServingTokenizer)? = nil, chatTemplates: ChatTemplateSet? = nil, cluster: (any ClusterControl)? = nil,
                logger: Logger = Logger(label: "switchyard.engine")) {
        let metrics = ServingMetrics()
        metrics.export(engine.traffic)
        cluster?.registerMetrics(metrics.registry)
        service = EngineService(engine: engine, configuration: .init(limits: limits, shutdownGracePeriod: shutdownGrace),
                                metrics: metrics, logger: logger)
        context = ServingContext(configuration: http, service: service, tokenizer: tokenizer, cluster: cluster, chatTemplates: chatTemplates)
    }

    /// The HTTP application serving `/v1/...`, `/metrics` and the rest; `onListening` gets the bound port.
    public func application(logger: Logger = Logger(label: "switchyard.http"),
                            onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        ServingApplication.build(context, logger: logger, onServerRunning: onListening)
    }
}
