import Hummingbird
import Strata

/// An error answered as `{"error": "...", ...}` with its HTTP status.
public struct APIError: HTTPResponseError {
    public let status: HTTPResponse.Status
    let message: String
    /// Extra members of the JSON object, already encoded (line and column of a bad line).
    let details: [(key: String, json: String)]

    init(_ status: HTTPResponse.Status, _ message: String, details: [(key: String, json: String)] = []) {
        self.status = status
        self.message = message
        self.details = details
    }

    /// A bad line of a write's body: 400, naming the line and column as well as the reason.
    init(_ rowError: RowError) {
        var details = [(key: "line", json: String(rowError.line))]
        if let column = rowError.column { details.append((key: "column", json: String(column))) }
        self.init(.badRequest, rowError.reason, details: details)
    }

    /// The status a store error deserves: the client's fault (400, 409) or the service's (500, 503).
    init(_ storeError: StrataError) {
        let status: HTTPResponse.Status = switch storeError.code {
        case .invalidName, .invalidArgument: .badRequest
        // The series already holds the other value type: the request conflicts with stored state.
        case .typeMismatch: .conflict
        // Shutting down, or another writer holds the store: retrying later may work.
        case .closed, .locked, .readOnly: .serviceUnavailable
        case .io, .corruptFile, .unsupportedVersion: .internalServerError
        }
        self.init(status, storeError.description, details: [(key: "code", json: "\"\(storeError.code.rawValue)\"")])
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var json = JSONText()
        json.raw("{")
        json.key("error")
        json.string(message)
        for detail in details {
            json.raw(",")
            json.key(detail.key)
            json.raw(detail.json)
        }
        json.raw("}\n")
        return Response.json(json.text, status: status)
    }
}

extension Response {
    /// A JSON response of already encoded `text`.
    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
