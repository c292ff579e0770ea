#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "binding/exports.h"
#include "binding/js_values.h"
#include "core/duplicate_count.h"
#include "core/process_pages.h"

namespace ksm {
namespace {

// Not std::make_shared: with GCC 9+ it needs libstdc++'s GLIBCXX_3.4.26, newer than RHEL 8 has,
// where the prebuilt addon must load (docs/deployment.md, "Prebuilt addons").
std::shared_ptr<ProcFile> OpenProcFile(const std::string& path) {
  return std::shared_ptr<ProcFile>(new ProcFile(path.c_str()));
}

class PageScanner : public Napi::ObjectWrap<PageScanner> {
 public:
  explicit PageScanner(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PageScanner>(info) {
    auto kpageflags = OpenProcFile("/proc/kpageflags");
    if (kpageflags->ok()) kpageflags_ = std::move(kpageflags);  // root only: else merged is unknown
  }

  Napi::Value Begin(const Napi::CallbackInfo& info);
  Napi::Value Scan(const Napi::CallbackInfo& info);
  Napi::Value End(const Napi::CallbackInfo& info);
  Napi::Value Count(const Napi::CallbackInfo& info);

  void FinishScan(std::vector<PageRecord>&& records) {
    pending_scans_--;
    records_.insert(records_.end(), records.begin(), records.end());
  }

  void FinishCount() { counting_ = false; }

 private:
  // A process being read: its pagemap and memory open, and its index in the set.
  struct Session {
    uint32_t process;
    std::shared_ptr<ProcFile> pagemap;
    std::shared_ptr<ProcFile> mem;
  };

  void RequireNotCounting(Napi::Env env) const {
    if (counting_) throw Napi::Error::New(env, "PageScanner: count() is still pending");
  }
  Session& SessionOf(const Napi::Value& id);

  std::shared_ptr<ProcFile> kpageflags_;
  std::map<uint32_t, Session> sessions_;
  uint32_t next_session_ = 1;
  uint32_t pending_scans_ = 0;
  bool counting_ = false;
  std::vector<PageRecord> records_;
};

// The workers own what they read (shared file handles, their own records), so a scanner
// collected or an environment torn down meanwhile leaves them nothing dangling. Records join
// the scanner's on the JavaScript thread, so scans of several processes may run at once.
class ScanWorker : public Napi::AsyncWorker {
 public:
  ScanWorker(Napi::Env env, PageScanner* scanner, Napi::Object self, uint32_t process,
             std::shared_ptr<ProcFile> pagemap, std::shared_ptr<ProcFile> mem, std::shared_ptr<ProcFile> kpageflags,
             std::vector<ScanRange> ranges)
      : Napi::AsyncWorker(env, "ksm:estimate-scan"), deferred_(Napi::Promise::Deferred::New(env)),
        self_(Napi::Persistent(self)), scanner_(scanner), process_(process), pagemap_(std::move(pagemap)),
        mem_(std::move(mem)), kpageflags_(std::move(kpageflags)), ranges_(std::move(ranges)) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    outcome_ = ScanProcessPages(*pagemap_, *mem_, kpageflags_.get(), ranges_, process_, &records_);
  }

  void OnOK() override {
    Napi::Env env = Env();
    scanner_->FinishScan(std::move(records_));
    Napi::Object result = Napi::Object::New(env);
    result.Set("pages", Napi::Number::New(env, static_cast<double>(outcome_.pages)));
    result.Set("hiddenFrames", Napi::Number::New(env, static_cast<double>(outcome_.hidden_frames)));
    result.Set("vanished", Napi::Number::New(env, static_cast<double>(outcome_.vanished)));
    if (outcome_.error != 0) {
      Napi::Error error = SyscallError(env, outcome_.syscall, outcome_.error);
      result.Set("code", error.Get("code"));
      result.Set("syscall", error.Get("syscall"));
      result.Set("errno", error.Get("errno"));
    }
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error& error) override {
    scanner_->FinishScan({});
    deferred_.Reject(error.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference self_;  // keeps the scanner alive until the promise settles
  PageScanner* scanner_;
  uint32_t process_;
  std::shared_ptr<ProcFile> pagemap_;
  std::shared_ptr<ProcFile> mem_;
  std::shared_ptr<ProcFile> kpageflags_;
  std::vector<ScanRange> ranges_;
  std::vector<PageRecord> records_;
  ScanOutcome outcome_;
};

class CountWorker : public Napi::AsyncWorker {
 public:
  CountWorker(Napi::Env env, PageScanner* scanner, Napi::Object self, std::vector<PageRecord>&& records,
              CountSettings settings)
      : Napi::AsyncWorker(env, "ksm:estimate-count"), deferred_(Napi::Promise::Deferred::New(env)),
        self_(Napi::Persistent(self)), scanner_(scanner), records_(std::move(records)), settings_(settings) {}

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override { counts_ = CountDuplicates(&records_, settings_); }

  void OnOK() override {
    Napi::Env env = Env();
    scanner_->FinishCount();
    Napi::Float64Array result = Napi::Float64Array::New(env, counts_.size());
    std::copy(counts_.begin(), counts_.end(), result.Data());
    deferred_.Resolve(result);
  }

  void OnError(const Napi::Error& error) override {
    scanner_->FinishCount();
    deferred_.Reject(error.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference self_;
  PageScanner* scanner_;
  std::vector<PageRecord> records_;
  CountSettings settings_;
  std::vector<double> counts_;
};

PageScanner::Session& PageScanner::SessionOf(const Napi::Value& id) {
  const auto found = sessions_.find(id.As<Napi::Number>().Uint32Value());
  if (found == sessions_.end()) throw Napi::Error::New(id.Env(), "PageScanner: no such process session");
  return found->second;
}

Napi::Value PageScanner::Begin(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireNotCounting(env);
  const pid_t pid = static_cast<pid_t>(info[0].As<Napi::Number>().Int32Value());
  const uint32_t process = info[1].As<Napi::Number>().Uint32Value();
  const std::string dir = "/proc/" + std::to_string(pid);
  // mem needs what ptrace needs to attach (another user's process: EACCES), pagemap less.
  auto pagemap = OpenProcFile(dir + "/pagemap");
  if (!pagemap->ok()) throw SyscallError(env, "open", pagemap->open_errno());
  auto mem = OpenProcFile(dir + "/mem");
  if (!mem->ok()) throw SyscallError(env, "open", mem->open_errno());
  const uint32_t id = next_session_++;
  sessions_[id] = {process, std::move(pagemap), std::move(mem)};
  return Napi::Number::New(env, id);
}

Napi::Value PageScanner::Scan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireNotCounting(env);
  const Session& session = SessionOf(info[0]);
  const Napi::Float64Array quads = info[1].As<Napi::Float64Array>();
  std::vector<ScanRange> ranges;
  for (size_t i = 0; i + 3 < quads.ElementLength(); i += 4) {
    ranges.push_back({static_cast<uint64_t>(quads[i]), static_cast<uint64_t>(quads[i + 1]),
                      static_cast<uint8_t>(quads[i + 2]), static_cast<uint8_t>(quads[i + 3])});
  }
  auto* worker = new ScanWorker(env, this, info.This().As<Napi::Object>(), session.process, session.pagemap,
                                session.mem, kpageflags_, std::move(ranges));
  pending_scans_++;
  worker->Queue();
  return worker->Promise();
}

Napi::Value PageScanner::End(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const uint32_t id = info[0].As<Napi::Number>().Uint32Value();
  const uint32_t process = SessionOf(info[0]).process;
  if (!info[1].As<Napi::Boolean>().Value()) {
    records_.erase(std::remove_if(records_.begin(), records_.end(),
                                  [process](const PageRecord& record) { return record.process == process; }),
                   records_.end());
  }
  sessions_.erase(id);
  return env.Undefined();
}

Napi::Value PageScanner::Count(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireNotCounting(env);
  if (pending_scans_ != 0) throw Napi::Error::New(env, "PageScanner: count() while scans are pending");
  const Napi::Object options = info[0].As<Napi::Object>();
  const CountSettings settings = {
      options.Get("processes").As<Napi::Number>().Uint32Value(),
      options.Get("kinds").As<Napi::Number>().Uint32Value(),
      static_cast<uint64_t>(options.Get("maxPageSharing").As<Napi::Number>().Int64Value()),
      options.Get("useZeroPages").As<Napi::Boolean>().Value(),
  };
  auto* worker = new CountWorker(env, this, info.This().As<Napi::Object>(), std::move(records_), settings);
  records_.clear();
  counting_ = true;
  worker->Queue();
  return worker->Promise();
}

}  // namespace

void DefinePageScanner(Napi::Env env, Napi::Object exports) {
  Napi::Function scanner = PageScanner::DefineClass(env, "PageScanner",
                                                    {
                                                        PageScanner::InstanceMethod<&PageScanner::Begin>("begin"),
                                                        PageScanner::InstanceMethod<&PageScanner::Scan>("scan"),
                                                        PageScanner::InstanceMethod<&PageScanner::End>("end"),
                                                        PageScanner::InstanceMethod<&PageScanner::Count>("count"),
                                                    });
  // The layout lib/ mirrors (PAGE_FLAGS, COUNT_LAYOUT), for a test to hold the two together.
  Napi::Object layout = Napi::Object::New(env);
  layout.Set("mergeableIfProcessWide", Napi::Number::New(env, kMergeableIfProcessWide));
  layout.Set("markedNow", Napi::Number::New(env, kMarkedNow));
  layout.Set("markedByApp", Napi::Number::New(env, kMarkedByApp));
  layout.Set("choices", Napi::Number::New(env, static_cast<double>(std::size(kChoices))));
  layout.Set("choiceValues", Napi::Number::New(env, static_cast<double>(kChoiceValues)));
  layout.Set("kindValues", Napi::Number::New(env, static_cast<double>(kKindValues)));
  scanner.Set("layout", layout);
  exports.Set("PageScanner", scanner);
}

}  // namespace ksm
