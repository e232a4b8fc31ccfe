using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace BankAccount.Api.Tests;

/// <summary>
/// The API started in process exactly as <c>dotnet run</c> starts it, on Kestrel bound to 127.0.0.1 on a
/// free port, and an <see cref="HttpClient"/> for it. A backend is one derived class: override
/// <see cref="ConfigureAsync"/> to add its settings (e.g. <c>ConnectionStrings:EventStore</c>).
/// </summary>
public abstract class ApiHost : IAsyncLifetime
{
    private readonly ConcurrentQueue<RecordedExchange> _recorded = new();
    private WebApplication? _app;
    private List<string> _args = [];

    /// <summary>Every exchange of this host's clients so far (the OpenAPI coverage test reads them).</summary>
    public IReadOnlyCollection<RecordedExchange> Recorded => _recorded;

    /// <summary>A client whose base address is the running API.</summary>
    public HttpClient Client { get; private set; } = null!;

    /// <summary>The API's base address, e.g. http://127.0.0.1:41234/.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Adds the backend's command-line settings; the in-memory backend needs none.</summary>
    /// <param name="args">The arguments so far.</param>
    /// <returns>A task that completes when the backend is ready.</returns>
    protected virtual ValueTask ConfigureAsync(List<string> args) => ValueTask.CompletedTask;

    /// <summary>Releases what <see cref="ConfigureAsync"/> started.</summary>
    /// <returns>A task that completes when done.</returns>
    protected virtual ValueTask CleanUpAsync() => ValueTask.CompletedTask;

    /// <summary>
    /// True when two instances of the API started by this host share their storage (a database), so a
    /// second instance sees what the first committed, like a restarted server; false for in-memory.
    /// </summary>
    public virtual bool InstancesShareStorage => false;

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        _args = ["--urls", "http://127.0.0.1:0", "--environment", "Testing", "--Logging:LogLevel:Default=Warning"];
        await ConfigureAsync(_args);
        (_app, BaseAddress, Client) = await StartAppAsync();
    }

    /// <summary>
    /// Starts another instance of the API on the same configuration (the same database, when there is
    /// one): a process with none of the first one's memory, as after a crash and restart.
    /// </summary>
    /// <returns>The instance; dispose it to stop it.</returns>
    public async Task<ApiInstance> StartAnotherInstanceAsync()
    {
        var (app, _, client) = await StartAppAsync();
        return new ApiInstance(app, client);
    }

    /// <summary>Makes the next idempotency record save of this host's API fail, as if the server died after the commit.</summary>
    public void CrashBeforeNextIdempotencyRecord() =>
        _app!.Services.GetRequiredService<CrashingIdempotencyRecords>().CrashBeforeNextRecord();

    /// <summary>From now on another writer changes the account just before each of this host's API appends to it.</summary>
    public void ConflictOnEveryAppend(string accountId) =>
        _app!.Services.GetRequiredService<ConflictingEventStore>().ConflictOnEveryAppend(accountId);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        await CleanUpAsync();
        GC.SuppressFinalize(this);
    }

    private async Task<(WebApplication App, Uri BaseAddress, HttpClient Client)> StartAppAsync()
    {
        var app = BankApi.Create([.. _args], builder =>
        {
            CrashingIdempotencyRecords.Install(builder);
            ConflictingEventStore.Install(builder);
        });
        await app.StartAsync();
        // With port 0 Kestrel picks a free port; after the start, Urls holds the address it bound.
        var address = new Uri(app.Urls.Single() + "/");
        return (app, address, new HttpClient(new RecordingHandler(_recorded)) { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) });
    }

    /// <summary>Sends a request with a JSON body (sent as given, so tests can send broken JSON) and headers.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? json = null, params (string Name, string Value)[] headers) =>
        SendAsync(Client, method, path, json, headers);

    /// <summary>Sends a request with a JSON body and headers through <paramref name="client"/> (e.g. another instance's).</summary>
    public static Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string? json, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return client.SendAsync(request, TestContext.Current.CancellationToken);
    }
}

/// <summary>The API on the in-memory store (the default, with no configuration).</summary>
public sealed class InMemoryApiHost : ApiHost;

/// <summary>A second running instance of the API (see <see cref="ApiHost.StartAnotherInstanceAsync"/>).</summary>
public sealed class ApiInstance(WebApplication app, HttpClient client) : IAsyncDisposable
{
    /// <summary>A client whose base address is this instance.</summary>
    public HttpClient Client { get; } = client;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
