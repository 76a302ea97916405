import SwitchyardTools
import SwitchyardTokenizer
import Foundation
import Testing
import TestSupport
@testable import SwitchyardTools
import SwitchyardModel

@Suite("Tokenizer trainer (init-model)")
struct TokenizerTrainerTests {
    @Test(arguments: [300, 512])
    func writesALoadableTokenizerInsideTheModelVocabulary(vocabSize: Int) throws {
        let directory = try TemporaryDirectory()
        let trained = try TokenizerTrainer.write(vocabSize: vocabSize, modelMaxLength: 2048, to: directory.url)
        #expect(trained.tokens.count == vocabSize && trained.merges.count == vocabSize - 259)
        let tokenizer = try Tokenizer.load(directory: directory.url)
        #expect(tokenizer.vocabSize == vocabSize)
        #expect(tokenizer.bosTokenID == 1 && tokenizer.eosTokenID == 2 && tokenizer.addsBOS && !tokenizer.addsEOS)
        let text = "The router reads the request. Café 日本語 👍🏽\n\tdef f(x): return x  "
        let ids = tokenizer.encode(text, addSpecialTokens: true)
        #expect(ids.first == 1 && ids.allSatisfy { $0 >= 0 && Int($0) < vocabSize })
        if vocabSize >= 512 { #expect(ids.count < text.utf8.count * 3 / 4) }  // 253 merges compress English
        #expect(try tokenizer.decode(ids, skipSpecialTokens: true) == text)
    }

    @Test func trainingIsDeterministicAndCappedByTheCorpus() {
        let first = TokenizerTrainer.train(corpus: TokenizerTrainingCorpus.text, vocabSize: 400)
        let second = TokenizerTrainer.train(corpus: TokenizerTrainingCorpus.text, vocabSize: 400)
        #expect(first.tokens == second.tokens)
        // A huge vocabulary stops when no pair occurs twice.
        let large = TokenizerTrainer.train(corpus: "ab ab cd", vocabSize: 32000)
        #expect(large.tokens.count == 260 && large.tokens.last == "ab")  // only "a b" occurs twice
    }

    @Test func tooSmallAVocabularyIsAnError() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: TokenizerError.self) { try TokenizerTrainer.write(vocabSize: 256, modelMaxLength: 64, to: directory.url) }
    }
}
