import SwitchyardTensor
import SwitchyardModel
import SwitchyardTokenizer
/// A small English corpus (written for this project) that `init-model` trains its demo tokenizer on.
enum TokenizerTrainingCorpus {
    static let text = """
    The router reads the request, turns the prompt into tokens and places the sequence in the queue. \
    When there is room in the cache, the scheduler admits it and the model starts to work on the prompt. \
    Each layer of the model looks at the tokens that came before, mixes what it finds, and passes the \
    result to a small group of experts. Only two experts out of eight are chosen for every token, so the \
    work per token stays small even though the model as a whole is large. The experts live on workers, \
    and the router sends each worker the rows it needs and waits for the answers to come back in order.

    Once upon a time there was a little town by the sea. In the morning the fishermen went out with their \
    boats, and in the evening they came home with their nets full of fish. The children played on the \
    beach, built castles of sand and ran away from the waves. Their mothers and fathers sat in the shade, \
    talked about the weather and the price of bread, and watched the sun go down behind the hills.

    What is the capital of France? The capital of France is Paris. What is two plus two? Two plus two is \
    four. How many days are there in a week? There are seven days in a week: Monday, Tuesday, Wednesday, \
    Thursday, Friday, Saturday and Sunday. How many months are there in a year? There are twelve months.

    She opened the door and looked outside. It was raining again, so she took her coat and an umbrella. \
    The street was quiet, the shops were still closed, and a cat was sleeping under a car. She walked to \
    the station, bought a ticket and a cup of coffee, and waited for the train that would take her to the \
    city. He said that he would call her later, but he did not. They met again a few years later, and it \
    was as if no time had passed at all.

    A good system should be simple to set up, easy to test and hard to break. It should tell its users \
    what went wrong and how to fix it. When a machine fails, the other machines should keep working, and \
    the requests that were waiting should get a clear answer instead of hanging forever. Numbers such as \
    1, 2, 3, 10, 100, 2024 and 3.14 appear in text as well, and so do names like Alice, Bob and Carol.

    Hello, world! Good morning. Good night. Thank you very much. You are welcome. I think that this is a \
    very good idea, and we should try it. Do you want to go for a walk? Yes, I would like that. No, thank \
    you, I am tired. Where are you going? I am going home. When will you be back? I will be back soon.

    The quick brown fox jumps over the lazy dog. The dog was not amused, but it did not move either. \
    People have always told stories: about heroes and monsters, about love and loss, about the stars in \
    the sky and the roots of the trees. Some of these stories are very old, and some were written today.

    def add(a, b):
        return a + b

    for i in range(10):
        print(i, add(i, 1))

    """
}
